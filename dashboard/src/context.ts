import { createContext, useContext } from "react";
import type { Api } from "./api/client";
import type { Session } from "./session";

export interface Ctx {
  session: Session;
  api: Api;
}

export const ApiContext = createContext<Ctx | null>(null);

export function useApi(): Ctx {
  const ctx = useContext(ApiContext);
  if (!ctx) throw new Error("useApi outside a signed-in session");
  return ctx;
}
