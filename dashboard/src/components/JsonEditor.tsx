// Editing a definition (pattern, rule) as JSON: the API's validation message
// is shown next to the field it names.
import { useState } from "react";
import { ApiProblem, fieldOf } from "../api/problem";
import { ErrorBox } from "./ui";

export function JsonEditor({
  label,
  initial,
  onSave,
}: {
  label: string;
  initial: unknown;
  onSave: (value: unknown) => Promise<unknown>;
}) {
  const [text, setText] = useState(JSON.stringify(initial, null, 2));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setSaved(false);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      setError(new Error(`Not valid JSON: ${(e as Error).message}`));
      return;
    }
    try {
      await onSave(value);
      setError(null);
      setSaved(true);
    } catch (e) {
      setError(e);
    }
  };
  const field = error instanceof ApiProblem ? fieldOf(error.problem) : null;
  return (
    <div className="editor">
      <label>
        {label}
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={14}
          spellCheck={false}
          aria-invalid={error ? true : undefined}
        />
      </label>
      {field && (
        <p className="field-error" role="alert">
          Field <code>{field}</code>
        </p>
      )}
      <ErrorBox error={error} />
      {saved && <p className="ok">Saved.</p>}
      <button type="button" onClick={save}>
        Save
      </button>
    </div>
  );
}
