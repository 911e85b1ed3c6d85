import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { SignIn } from "./pages/SignIn";
import { BarChart } from "./components/charts";
import { ErrorBox } from "./components/ui";
import { ApiProblem } from "./api/problem";

describe("SignIn", () => {
  it("explains what is wrong and signs in only with a JWT and a tenant UUID", () => {
    const onSignIn = vi.fn();
    render(<SignIn onSignIn={onSignIn} />);
    fireEvent.change(screen.getByLabelText("Bearer token"), { target: { value: "nope" } });
    fireEvent.change(screen.getByLabelText("Tenant id"), { target: { value: "0195f3a2-1b2c-7d3e-8f40-123456789abc" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByRole("alert").textContent).toMatch(/JWT/);
    expect(onSignIn).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText("Bearer token"), { target: { value: "a.b.c" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(onSignIn).toHaveBeenCalledWith({ token: "a.b.c", tenantId: "0195f3a2-1b2c-7d3e-8f40-123456789abc" });
  });
});

describe("BarChart", () => {
  it("draws one bar per category, longest for the largest count", () => {
    const { container } = render(<BarChart title="By severity" counts={{ low: 1, high: 4, medium: 2 }} />);
    const bars = Array.from(container.querySelectorAll("rect"));
    expect(bars).toHaveLength(3);
    const widths = bars.map((b) => Number(b.getAttribute("width")));
    expect(widths[0]).toBeGreaterThan(widths[1]);
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("By severity: high 4, medium 2, low 1");
  });

  it("says so when there is nothing to draw", () => {
    render(<BarChart title="By type" counts={{}} />);
    expect(screen.getByText("Nothing in this period.")).toBeTruthy();
  });
});

describe("ErrorBox", () => {
  it("shows a problem's title and detail, not its raw body", () => {
    render(<ErrorBox error={new ApiProblem({ title: "Forbidden", detail: "only moderators review", code: "forbidden", status: 403 })} />);
    expect(screen.getByRole("alert").textContent).toBe("Forbidden: only moderators review");
  });
});
