/** Readings per message and metrics per reading are bounded so one message cannot flood a batch. */
export const MAX_READINGS_PER_MESSAGE = 10_000;
export const MAX_METRICS_PER_READING = 256;
export const MAX_LOG_ENTRIES_PER_MESSAGE = 1_000;

export const METRIC_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,63}$/;
