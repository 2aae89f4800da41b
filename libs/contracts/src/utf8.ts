/** The text of a message body. A Buffer (what amqplib and aedes hand over) is decoded without a second view of it. */
export const utf8 = (bytes: Uint8Array): string =>
  (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString("utf8");
