/** Benchmark child: loads what worker-ours loads and does nothing (the RSS floor of node + tsx). */
import '../../src/infra/fs-pades.js';
import './bench-cms.js';
import { report } from '../support/measure.js';

report(0);
