/** A benchmark registered in bench/run.ts. */
export interface Bench {
  name: string;
  description: string;
  run(): Promise<void>;
}
