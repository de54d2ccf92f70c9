"use strict";
// Lays out the two npm packages of one build, ready for `npm pack` (scripts/npm-pack.sh runs it):
//
//   node npm/stage.js --version 1.2.3 --binary PATH --out DIR [--target RUST_TARGET]
//                     [--repository URL]
//
// DIR/rules2actions: the launcher package (npm/rules2actions), at VERSION, whose
//   optionalDependencies name every platform package of its platforms.json at exactly VERSION;
// DIR/cli-<platform>: the platform package of RUST_TARGET (default: this machine), holding
//   the binary PATH, with the os/cpu/libc fields that make npm install it only where it runs.
// --repository is the source repository's URL, recorded in both packages (npm checks it against
// the provenance of a package published from a GitHub workflow).
// Prints the two folders, one per line.

const fs = require("node:fs");
const path = require("node:path");
const { parseArgs } = require("node:util");

const TEMPLATE = path.join(__dirname, "rules2actions");
const platform = require(path.join(TEMPLATE, "platform.js"));

function main() {
  const { values } = parseArgs({
    options: {
      version: { type: "string" },
      binary: { type: "string" },
      out: { type: "string" },
      target: { type: "string" },
      repository: { type: "string" },
    },
  });
  for (const required of ["version", "binary", "out"]) {
    if (!values[required]) throw new Error(`--${required} is required`);
  }
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(values.version)) {
    throw new Error(`not a semantic version: ${values.version}`);
  }
  if (values.repository && !URL.canParse(values.repository)) {
    throw new Error(`not a URL: ${values.repository}`);
  }
  const entry = values.target ? byTarget(values.target) : thisMachine();
  const common = {
    version: values.version,
    ...(values.repository && { repository: { type: "git", url: `git+${values.repository}.git` } }),
  };
  const launcher = stageLauncher(values.out, common);
  const binaryPackage = stagePlatform(values.out, common, entry, values.binary);
  process.stdout.write(`${launcher}\n${binaryPackage}\n`);
}

function byTarget(target) {
  const entry = platform.PLATFORMS.find((candidate) => candidate.target === target);
  if (!entry) throw new Error(`${target} is not in npm/rules2actions/platforms.json`);
  return entry;
}

function thisMachine() {
  const host = platform.currentPlatform();
  const [entry] = platform.candidates(host);
  if (!entry || entry.libc !== host.libc) {
    throw new Error(`no entry of npm/rules2actions/platforms.json for this machine: ${JSON.stringify(host)}`);
  }
  return entry;
}

/** `common`: the fields both packages share (version, repository). */
function stageLauncher(out, common) {
  const dir = path.join(out, "rules2actions");
  fs.cpSync(TEMPLATE, dir, { recursive: true });
  const manifest = { ...readJson(path.join(dir, "package.json")), ...common };
  manifest.optionalDependencies = Object.fromEntries(
    platform.PLATFORMS.map((entry) => [platform.packageName(entry), common.version]),
  );
  writeJson(path.join(dir, "package.json"), manifest);
  fs.chmodSync(path.join(dir, "bin", "rules2actions.js"), 0o755);
  return dir;
}

function stagePlatform(out, common, entry, binary) {
  const name = platform.packageName(entry);
  const dir = path.join(out, name.split("/")[1]);
  const launcher = readJson(path.join(TEMPLATE, "package.json"));
  const manifest = {
    name,
    ...common,
    description: `The rules2actions binary for ${entry.target}`,
    license: launcher.license,
    os: [entry.os],
    cpu: [entry.cpu],
    ...(entry.libc && { libc: [entry.libc] }),
    files: ["bin/"],
    // Yarn PnP: a binary cannot run from inside a zip archive.
    preferUnplugged: true,
  };
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  writeJson(path.join(dir, "package.json"), manifest);
  fs.writeFileSync(
    path.join(dir, "README.md"),
    `# ${name}\n\nThe prebuilt \`rules2actions\` binary for ${entry.target}. ` +
      "Install `rules2actions`, which selects this package for you.\n",
  );
  const installed = path.join(dir, "bin", platform.binaryName(entry.os));
  fs.copyFileSync(binary, installed);
  fs.chmodSync(installed, 0o755);
  return dir;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`npm/stage.js: ${error.message}\n`);
  process.exit(1);
}
