// Names for the schemas the dashboard shows.
import type { components } from "./schema";

type S = components["schemas"];
export type Violation = S["Violation"];
export type ViolationDetail = S["ViolationDetail"];
export type Evidence = S["Evidence"];
export type Statement = S["Statement"];
export type ViolationStats = S["ViolationStats"];
export type ViolationTrend = S["ViolationTrend"];
export type ReviewItem = S["ReviewItem"];
export type ReviewDetail = S["ReviewDetail"];
export type ModerationResult = S["ModerationResult"];
export type Report = S["Report"];
export type Detection = S["Detection"];
export type Pattern = S["Pattern"];
export type Rule = S["Rule"];
export type BacktestReport = S["BacktestReport"];
export type Notification = S["Notification"];
export type SellerProfile = S["SellerProfile"];
export type Standing = S["Standing"];
export type Verification = S["Verification"];
