// Reads vitest's JSON report and prints, as the very last line, `tests: N passed, M failed[, K skipped]`.
// Exits non-zero when vitest failed, a test or a test file failed, the report is missing, or no test ran.
// Usage: node .ci/summarize.mjs <vitest-json-file> <vitest-exit-code>
import { readFileSync } from "node:fs";

const [file, exitCodeText = "0"] = process.argv.slice(2);
const vitestExit = Number(exitCodeText);

let report;
try {
  report = JSON.parse(readFileSync(file ?? "", "utf8"));
} catch (err) {
  console.log(`no vitest report at ${file} (${err.message}); the test run did not get to run tests`);
  console.log("tests: 0 passed, 0 failed");
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const failedFiles = (report.testResults ?? []).filter((r) => r.status === "failed");

const problems = [];
if (failedFiles.length > 0) {
  problems.push(`${failedFiles.length} test file(s) failed: ${failedFiles.map((r) => r.name).join(", ")}`);
}
if (passed + failed === 0) problems.push("no test ran");
if (vitestExit !== 0) problems.push(`vitest exited with ${vitestExit}`);
for (const p of problems) console.log(`test run problem: ${p}`);

console.log(`tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
