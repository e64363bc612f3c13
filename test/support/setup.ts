import fc from 'fast-check';

// In CI every property explores the same cases, so a red run can always be replayed; on a
// developer's machine each run explores new ones (a failure prints the seed that replays it).
if (process.env['CI']) fc.configureGlobal({ seed: 20_261_121 });
