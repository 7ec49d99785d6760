//! Test harness: a real moto_server per test binary (or per fault test), provisioned by the real
//! init.sh, the real `bootstrap` binary, and a plain HTTP client.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub const AWS_ENV: [(&str, &str); 4] = [
    ("AWS_REGION", "eu-west-1"),
    ("AWS_DEFAULT_REGION", "eu-west-1"),
    ("AWS_ACCESS_KEY_ID", "key"),
    ("AWS_SECRET_ACCESS_KEY", "secret"),
];

/// A moto_server on a free port. It is stopped when dropped, and a watchdog stops it if the
/// test process dies first.
pub struct Emulator {
    pub url: String,
    child: Child,
    watchdog: Option<Child>,
}

impl Emulator {
    /// Starts moto (from `MOTO_SERVER`, else the project's .venv) and waits until it answers.
    pub fn start(recording: bool) -> Emulator {
        Emulator::start_on(free_port(), recording)
    }

    /// An emulator that is not running: only its URL, for "backend down" tests.
    pub fn at_port(port: u16) -> Emulator {
        let child = Command::new("true").spawn().unwrap();
        Emulator {
            url: format!("http://127.0.0.1:{port}"),
            child,
            watchdog: None,
        }
    }

    /// Starts moto on a given port.
    pub fn start_on(port: u16, recording: bool) -> Emulator {
        let moto = std::env::var("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo_root().join(".venv/bin/moto_server"));
        assert!(
            moto.exists(),
            "{} missing: run `make venv` (or `make test`)",
            moto.display()
        );
        let mut command = Command::new(moto);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_remove("MOTO_ENABLE_RECORDING");
        if recording {
            // moto reads any non-empty value as "on", so the variable is set only here.
            let file = std::env::temp_dir().join(format!("moto-recording-{port}"));
            command
                .env("MOTO_ENABLE_RECORDING", "1")
                .env("MOTO_RECORDER_FILEPATH", file);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        // Statics are never dropped: a watchdog stops moto when the test process is gone.
        let watchdog = format!(
            "while kill -0 {} 2>/dev/null && kill -0 {} 2>/dev/null; do sleep 0.5; done; kill {} 2>/dev/null",
            std::process::id(),
            child.id(),
            child.id()
        );
        let watchdog = Command::new("bash")
            .arg("-c")
            .arg(watchdog)
            .spawn()
            .expect("start watchdog");
        let emulator = Emulator {
            url: format!("http://127.0.0.1:{port}"),
            child,
            watchdog: Some(watchdog),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    /// Starts moto and runs the real init.sh against it.
    pub fn provisioned(recording: bool) -> Emulator {
        let emulator = Emulator::start(recording);
        emulator.init();
        emulator
    }

    pub fn init(&self) -> String {
        let output = Command::new("bash")
            .arg(repo_root().join("init-scripts/init.sh"))
            .envs(AWS_ENV)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("PATH", path_with_venv())
            .output()
            .expect("run init.sh");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(
            output.status.success(),
            "init.sh failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Runs the project's awscli against the emulator.
    pub fn aws(&self, args: &[&str]) -> String {
        let output = Command::new("aws")
            .args(args)
            .args(["--output", "text"])
            .envs(AWS_ENV)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("PATH", path_with_venv())
            .output()
            .expect("run aws");
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The watchdog's trap stops moto itself; wait until the port is closed.
        let port: u16 = self.url.rsplit(':').next().unwrap().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// moto's request recorder: (start) resets and starts; (operations) lists X-Amz-Target values.
    pub async fn start_recording(&self) {
        http(
            &format!("{}/moto-api/recorder/reset-recording", self.url),
            "POST",
            &[],
            "",
        )
        .await;
        http(
            &format!("{}/moto-api/recorder/start-recording", self.url),
            "POST",
            &[],
            "",
        )
        .await;
    }

    pub async fn recorded_operations(&self) -> Vec<String> {
        let (_, _, body) = http(
            &format!("{}/moto-api/recorder/download-recording", self.url),
            "GET",
            &[],
            "",
        )
        .await;
        body.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|r| r["headers"]["X-Amz-Target"].as_str().map(String::from))
            .collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn path_with_venv() -> String {
    format!(
        "{}:{}",
        repo_root().join(".venv/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The real `bootstrap` binary in local mode.
pub struct Server {
    pub url: String,
    child: Child,
    pub log: PathBuf,
}

impl Server {
    pub fn start(emulator: &Emulator, extra_env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("bootstrap-test-{port}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
            .envs(AWS_ENV)
            .env("AWS_ENDPOINT_URL", &emulator.url)
            .env("TOKEN_BIND", format!("127.0.0.1:{port}"))
            .env("TOKEN_SDK_TIMEOUT_MS", "1500")
            .envs(extra_env.iter().copied())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("start bootstrap");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "bootstrap did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request: (status, headers, body).
pub async fn http(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, hyper::HeaderMap, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(
            request
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap(),
        )
        .await
        .expect("HTTP request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

/// A plain GET.
pub async fn get(url: &str) -> (u16, hyper::HeaderMap, String) {
    http(url, "GET", &[], "").await
}

pub fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

pub const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// The seed's client, admin/admin over Basic, with this body.
pub async fn admin_token(base: &str, body: &str) -> (u16, serde_json::Value) {
    token(base, "admin", "admin", body).await
}

/// POSTs a token request with Basic credentials.
pub async fn token(base: &str, id: &str, secret: &str, body: &str) -> (u16, serde_json::Value) {
    let auth = basic(id, secret);
    let (status, _, body) = http(
        &format!("{base}/token"),
        "POST",
        &[FORM, ("authorization", &auth)],
        body,
    )
    .await;
    (status, serde_json::from_str(&body).expect("JSON body"))
}

/// scripts/fault-proxy.py in front of an emulator: passes requests through until a fault is set.
pub struct FaultProxy {
    pub port: u16,
    child: Child,
}

impl FaultProxy {
    pub fn start(upstream: &Emulator) -> FaultProxy {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .arg(repo_root().join("scripts/fault-proxy.py"))
            .args(["--upstream", &upstream.url])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the fault proxy");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("fault proxy said {line:?}"));
        FaultProxy { port, child }
    }

    /// What the shell is pointed at instead of the emulator.
    pub fn as_emulator(&self) -> Emulator {
        Emulator::at_port(self.port)
    }

    pub async fn set(&self, fault: &serde_json::Value) {
        let url = format!("http://127.0.0.1:{}/__fault", self.port);
        let (status, _, _) = http(&url, "PUT", &[], &fault.to_string()).await;
        assert_eq!(status, 204);
    }

    pub async fn clear(&self) {
        let url = format!("http://127.0.0.1:{}/__fault", self.port);
        let (status, _, _) = http(&url, "DELETE", &[], "").await;
        assert_eq!(status, 204);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
