export {
  type BatchConsumer,
  type BatchConsumerOptions,
  type Parsed,
  startBatchConsumer,
  type WriteCounts,
} from "./batch-consumer.js";
export { Batcher, type BatcherOptions, type BatchStore, type Pending } from "./batcher.js";
export { BusConnection, type BusConnectionOptions, redact, type Setup } from "./connection.js";
export { type ConsumerOptions, type Delivery, QueueConsumer } from "./consumer.js";
export { DEAD_LETTER_HEADERS, type DeadLetter, DeadLetterPublisher } from "./dead-letter.js";
export {
  ConfirmPublisher,
  type ConfirmPublisherOptions,
  PUBLISH_FAILURES,
  PublishError,
  type PublishFailure,
  type PublishOptions,
} from "./publisher.js";
export { DEAD_LETTER_QUEUE, declareTopology, QUEUES, type QueueSpec, queueArguments } from "./topology.js";
