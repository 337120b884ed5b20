/**
 * The agent's groundwork: its errors, the logger, the scheduler that drives every step, retry
 * schedules, kill points for the crash tests, the version.
 *
 * @module
 */
export {
  ChainIdentityError,
  ConfigError,
  type ConfigProblem,
  DevnetError,
  formatConfigProblem,
  StateError,
} from "./errors.ts";
export { KILL_AT_ENV, KILL_POINTS, type KillPoint, killPoint, txKillPoints } from "./kill_point.ts";
export {
  createLogger,
  type CreateLoggerOptions,
  type LogFields,
  type Logger,
  type LogLevel,
  sanitize,
} from "./logger.ts";
export { pathExists } from "./path_exists.ts";
export {
  backoffDelay,
  type BackoffPolicy,
  createRetrySchedule,
  DEFAULT_BACKOFF,
  type FailureVerdict,
  type RetryEntry,
  type RetrySchedule,
} from "./retry_schedule.ts";
export {
  createScheduler,
  type CreateSchedulerOptions,
  type FailureKind,
  type ScheduledStep,
  type Scheduler,
  SCHEDULER_EVENTS,
  type SchedulerClock,
  type SchedulerEvent,
  sleepOn,
  type StepOutcome,
  systemClock,
} from "./scheduler.ts";
export {
  SELFTEST_STATUSES,
  type SelftestReport,
  type SelftestResult,
  type SelftestStatus,
} from "./selftest_result.ts";
export { VERSION } from "./version.ts";
