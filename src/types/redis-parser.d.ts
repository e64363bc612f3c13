/** The parts of redis-parser (NodeRedis's RESP parser, used by ioredis) that Ringside uses. */
declare module 'redis-parser' {
  interface ParserOptions {
    returnReply(reply: unknown): void;
    returnError(error: Error): void;
    returnFatalError?(error: Error): void;
    returnBuffers?: boolean;
    stringNumbers?: boolean;
  }
  class Parser {
    constructor(options: ParserOptions);
    execute(buffer: Buffer): void;
    reset(): void;
    /** Bytes received and not yet parsed into a whole reply (null when none). */
    buffer: Buffer | null;
  }
  export default Parser;
}
