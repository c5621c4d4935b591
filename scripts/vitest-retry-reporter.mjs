// A Vitest reporter that names every test that passed only on a retry (run-tests.mjs gives each
// test one retry): such a test is flaky, and the summary must say so instead of hiding it.
export default class RetryReporter {
  onTestCaseResult(testCase) {
    const { retryCount } = testCase.diagnostic() ?? {};
    if (retryCount > 0 && testCase.result().state === "passed") {
      console.log(`FLAKY ${testCase.module.moduleId} > ${testCase.fullName} (passed on retry ${retryCount}; the first error: ${firstError(testCase)})`);
    }
  }
}

const firstError = (testCase) => (testCase.result().errors?.[0]?.message ?? "not kept").split("\n")[0].slice(0, 300);
