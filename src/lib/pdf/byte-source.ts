/**
 * Random-access input for the lazy reader. lib/ does no I/O itself (DESIGN.md §2 rule 1): the
 * file-backed implementation lives in src/infra, an in-memory one is below (tests, small inputs).
 */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Reads up to `length` bytes at `offset` (fewer only at end of input). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads into a caller-owned buffer (fills it unless the input ends first) and
   * returns the byte count. Streaming loops use it to recycle buffers, so memory stays flat.
   */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
}

export class MemoryByteSource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.bytes.subarray(offset, Math.min(offset + length, this.bytes.length));
  }
}
