export {
  type BatchConsumer,
  type BatchConsumerOptions,
  startBatchConsumer,
  type WriteCounts,
} from "./batch-consumer.js";
export { Batcher, type BatcherOptions, type BatchStore, type Pending, type Refused } from "./batcher.js";
export { BusConnection, type BusConnectionOptions, redact, type Setup } from "./connection.js";
export { type ConsumerOptions as QueueConsumerOptions, type Delivery, QueueConsumer } from "./consumer.js";
export { DEAD_LETTER_HEADERS, type DeadLetter, DeadLetterPublisher, deadLetterHeaders } from "./dead-letter.js";
export { coalesceFrameWrites } from "./frame-writes.js";
export {
  type LogEntry,
  type LogReader,
  type LogSpec,
  logArguments,
  RabbitLogReader,
  type ReadLogOptions,
} from "./log.js";
export { MemoryBus, type MemoryBusOptions } from "./memory/memory-bus.js";
export { isEmbeddedBusUrl, type OpenBusOptions, openBus } from "./open-bus.js";
export { PgBus, type PgBusOptions } from "./pg/pg-bus.js";
export { contractParser, readingsParser } from "./pipeline/contract-parser.js";
export { PermanentError } from "./pipeline/errors.js";
export type { BatchOptions, Consumer, ConsumerOptions, SingleOptions } from "./pipeline/options.js";
export { startConsumer } from "./pipeline/start-consumer.js";
export {
  type BatchHandler,
  type BatchRejection,
  type Handler,
  type Message,
  OUTCOMES,
  type Outcome,
  type Parse,
  type Parsed,
  type ParsedOne,
  type Part,
  type PipelineObserver,
  type Reject,
  reject,
} from "./pipeline/types.js";
export type { Bus, ConsumeOptions, Subscription } from "./port.js";
export {
  ConfirmPublisher,
  type ConfirmPublisherOptions,
  PUBLISH_FAILURES,
  PublishError,
  type PublishFailure,
  type PublishOptions,
  publishHeaders,
} from "./publisher.js";
export { RabbitBus, type RabbitBusOptions } from "./rabbit-bus.js";
export { DEAD_LETTER_QUEUE, declareTopology, LOGS, QUEUES, type QueueSpec, queueArguments } from "./topology.js";
