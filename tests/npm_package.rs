//! The npm packages, end to end and offline: `scripts/npm-pack.sh` packs the test binary (no
//! second release build) into the launcher package and this machine's platform package, npm
//! installs both tarballs into a fresh project with the network off, and `npx rules2actions`
//! must behave as the binary does: version, conversions from a file and from standard input,
//! exit codes, signals, and clear errors when no binary fits the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The folder of this test's files (tarballs, npm's cache, the project), emptied at the start.
fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-package");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The project with both packages installed, made once for all the tests of this file.
struct Installed {
    tmp: PathBuf,
    project: PathBuf,
}

fn installed() -> &'static Installed {
    static INSTALLED: OnceLock<Installed> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        require_npm();
        let tmp = work_dir();
        let project = install_packages(&tmp);
        Installed { tmp, project }
    })
}

/// npm kept off the network: offline, a registry on a closed local port, its own cache.
fn offline(mut command: Command, tmp: &Path) -> Command {
    command
        .env("npm_config_offline", "true")
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_cache", tmp.join("npm-cache"))
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("running {command:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn succeeded(command: &mut Command) -> String {
    let output = run(command);
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn require_npm() {
    let found = Command::new("npm").arg("--version").output();
    assert!(
        found.is_ok_and(|output| output.status.success()),
        "this test needs npm and Node.js on the PATH (Debian: apt-get install nodejs npm)"
    );
}

/// Packs the test binary and installs the two tarballs into `tmp/project`; returns the project.
fn install_packages(tmp: &Path) -> PathBuf {
    let dist = tmp.join("dist");
    let listed = succeeded(
        offline(Command::new("bash"), tmp)
            .arg(root().join("scripts/npm-pack.sh"))
            .arg(&dist)
            .env("RULES2ACTIONS_BINARY", env!("CARGO_BIN_EXE_rules2actions")),
    );
    let tarballs: Vec<&str> = listed.lines().collect();
    let platform = platform_suffix();
    assert_eq!(
        tarballs,
        [
            dist.join(format!("rules2actions-{VERSION}.tgz")).to_str().unwrap(),
            dist.join(format!("rules2actions-cli-{platform}-{VERSION}.tgz"))
                .to_str()
                .unwrap(),
        ],
        "the tarballs npm-pack.sh reports"
    );

    let project = tmp.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("package.json"),
        r#"{ "name": "uses-r2a", "private": true }"#,
    )
    .unwrap();
    // One `npm install` for both: the launcher's optionalDependency on this platform's package
    // is met by the local tarball; the other platforms' are skipped.
    succeeded(
        offline(Command::new("npm"), tmp)
            .arg("install")
            .args(&tarballs)
            .current_dir(&project),
    );
    let scope = std::fs::read_dir(project.join("node_modules/@rules2actions")).unwrap();
    let mut installed: Vec<String> = scope
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    installed.sort();
    assert_eq!(
        installed,
        [format!("cli-{platform}")],
        "the platform packages installed"
    );
    project
}

/// This machine's platform package suffix, as npm/rules2actions/platform.js names it.
fn platform_suffix() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        os => os,
    };
    let cpu = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        arch => arch,
    };
    let musl = if cfg!(target_env = "musl") { "-musl" } else { "" };
    format!("{os}-{cpu}{musl}")
}

fn npx(project: &Path, tmp: &Path) -> Command {
    let mut command = offline(Command::new("npx"), tmp);
    command.arg("rules2actions").current_dir(project);
    command
}

/// The installed launcher run by a Node that says it runs on `platform` and `arch`, with musl
/// rather than glibc as its C library when `musl` (a musl Node reports no glibc version).
fn launcher_on(platform: &str, arch: &str, musl: bool) -> Output {
    let Installed { tmp, project } = installed();
    let preload = tmp.join(format!("on-{platform}-{arch}-{musl}.js"));
    let mut fake = format!(
        "Object.defineProperty(process, 'platform', {{ value: '{platform}' }});\n\
         Object.defineProperty(process, 'arch', {{ value: '{arch}' }});\n"
    );
    if musl {
        fake.push_str("process.report.getReport = () => ({ header: {} });\n");
    }
    std::fs::write(&preload, fake).unwrap();
    run(Command::new("node")
        .arg("--require")
        .arg(&preload)
        .arg(project.join("node_modules/rules2actions/bin/rules2actions.js"))
        .arg("--version"))
}

#[test]
fn npx_runs_the_packed_binary_offline() {
    let Installed { tmp, project } = installed();

    let version = succeeded(npx(project, tmp).arg("--version"));
    assert_eq!(version, format!("rules2actions {VERSION}\n"));

    // A conversion from a file, with no findings: exit 0 and the fixture's Action.
    let fixture = root().join("fixtures/multifactor/auth0-example");
    let action = std::fs::read_to_string(fixture.join("action.js")).unwrap();
    let converted = succeeded(
        npx(project, tmp)
            .args(["convert", "--stdout"])
            .arg(fixture.join("rule.js")),
    );
    assert_eq!(converted, action);

    // Standard input reaches the binary.
    let rule = std::fs::File::open(fixture.join("rule.js")).unwrap();
    let from_stdin = succeeded(npx(project, tmp).args(["convert", "--stdout", "-"]).stdin(rule));
    assert_eq!(from_stdin, action);

    // A rule that needs review: exit code 1 and the findings on stderr, as from the binary.
    let needs_review = root().join("fixtures/aliases/not-an-alias-default");
    let output = run(npx(project, tmp)
        .args(["convert", "--stdout"])
        .arg(needs_review.join("rule.js")));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        std::fs::read_to_string(needs_review.join("action.js")).unwrap()
    );
    assert!(
        text(&output.stderr).contains("R2A202 warning"),
        "{}",
        text(&output.stderr)
    );

    // The tool failing: exit code 2.
    let output = run(npx(project, tmp).args(["convert", "no-such-rule.js"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read no-such-rule.js"));
}

#[test]
fn the_launcher_says_why_no_binary_runs() {
    // A platform with no prebuilt binary at all.
    let output = launcher_on("freebsd", "riscv64", false);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "rules2actions: no prebuilt binary for this platform (freebsd riscv64). \
         Build it from source with Rust: cargo install --locked rules2actions\n"
    );

    // A platform with a package, which npm did not install here.
    let output = launcher_on("darwin", "arm64", false);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("rules2actions: the package @rules2actions/cli-darwin-arm64 is not installed."),
        "{stderr}"
    );
    assert!(stderr.contains("--omit=optional"), "{stderr}");
    assert!(output.stdout.is_empty());

    // On musl (Alpine), the musl build is the one to install.
    let output = launcher_on("linux", "x64", true);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("rules2actions: the package @rules2actions/cli-linux-x64-musl is not installed."),
        "{stderr}"
    );
}

/// A SIGTERM sent to the launcher alone (as a CI timeout does) stops the binary too, and the
/// launcher dies of the same signal.
#[cfg(target_os = "linux")]
#[test]
fn the_launcher_forwards_signals() {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};

    let Installed { project, .. } = installed();

    // `convert -` waits on a standard input that stays open.
    let mut launcher = Command::new(project.join("node_modules/.bin/rules2actions"))
        .args(["convert", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let children = format!("/proc/{0}/task/{0}/children", launcher.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    let binary = loop {
        let listed = std::fs::read_to_string(&children).unwrap_or_default();
        if let Some(pid) = listed.split_whitespace().next() {
            break pid.to_string();
        }
        assert!(Instant::now() < deadline, "the launcher started no binary");
        std::thread::sleep(Duration::from_millis(20));
    };

    let pid = launcher.id() as libc::pid_t;
    // SAFETY: kill(2) on the pid of our own child process, which has not been waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = launcher.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");

    // The binary is gone (or a zombie awaiting its new parent) while its stdin is still open.
    let stat = format!("/proc/{binary}/stat");
    loop {
        match std::fs::read_to_string(&stat) {
            Err(_) => break,
            Ok(line) if line.rsplit(") ").next().is_some_and(|rest| rest.starts_with('Z')) => break,
            Ok(_) => assert!(Instant::now() < deadline, "the binary still runs"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(launcher.stdin.take());
}

/// On glibc Linux, a node_modules holding only the musl build (copied from an Alpine container,
/// say) still runs: the statically linked musl binary runs on glibc too.
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
#[test]
fn the_launcher_falls_back_to_the_musl_build_on_glibc() {
    let Installed { tmp, project } = installed();
    let copied = tmp.join("copied-from-alpine/node_modules");
    let _ = std::fs::remove_dir_all(&copied);
    let modules = project.join("node_modules");
    copy_dir(&modules.join("rules2actions"), &copied.join("rules2actions"));
    // The test binary stands in for the musl build: only the package's name matters here.
    copy_dir(
        &modules.join("@rules2actions/cli-linux-x64"),
        &copied.join("@rules2actions/cli-linux-x64-musl"),
    );

    let version = succeeded(
        Command::new("node")
            .arg(copied.join("rules2actions/bin/rules2actions.js"))
            .arg("--version"),
    );
    assert_eq!(version, format!("rules2actions {VERSION}\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
