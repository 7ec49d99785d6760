//! init.sh's Lambda and API Gateway part, run against moto (which accepts the control-plane
//! calls without running functions), twice, for both runtimes.

mod common;

use std::process::Command;

use common::*;

fn run_init(emulator: &Emulator, zip: &std::path::Path, runtime: &str) -> String {
    let output = Command::new("bash")
        .arg(repo_root().join("init-scripts/init.sh"))
        .envs(AWS_ENV)
        .env("AWS_ENDPOINT_URL", &emulator.url)
        .env("PATH", path_with_venv())
        .env("LAMBDA_ZIP", zip)
        .env("RUNTIME", runtime)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "init.sh ({runtime}): {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn init_provisions_function_and_rest_api_idempotently() {
    let emulator = Emulator::start(false);
    let dir = std::env::temp_dir().join(format!("init-zip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bootstrap"), "#!/bin/sh\n").unwrap();
    let zip = dir.join("token_function.zip");
    let _ = std::fs::remove_file(&zip);
    assert!(Command::new("zip")
        .current_dir(&dir)
        .args(["-q", "token_function.zip", "bootstrap"])
        .status()
        .unwrap()
        .success());

    for runtime in ["provided.al2023", "nodejs20.x"] {
        let out = run_init(&emulator, &zip, runtime);
        assert!(
            out.contains("init: token endpoint http://localhost:4566/restapis/"),
            "{out}"
        );

        let apis = emulator.aws(&[
            "apigateway",
            "get-rest-apis",
            "--query",
            "items[?name=='TokenAPI'].id",
        ]);
        let ids: Vec<&str> = apis.split_whitespace().collect();
        assert_eq!(ids.len(), 1, "one TokenAPI after re-runs: {apis}");
        let api = ids[0];
        let paths = emulator.aws(&[
            "apigateway",
            "get-resources",
            "--rest-api-id",
            api,
            "--query",
            "items[].path",
        ]);
        let mut paths: Vec<&str> = paths.split_whitespace().collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "/",
                "/.well-known",
                "/.well-known/jwks.json",
                "/.well-known/oauth-authorization-server",
                "/token"
            ]
        );
        for (path, method) in [
            ("/token", "POST"),
            ("/.well-known/jwks.json", "GET"),
            ("/.well-known/oauth-authorization-server", "GET"),
        ] {
            let id = emulator.aws(&[
                "apigateway",
                "get-resources",
                "--rest-api-id",
                api,
                "--query",
                &format!("items[?path=='{path}'].id | [0]"),
            ]);
            let integration = emulator.aws(&[
                "apigateway",
                "get-integration",
                "--rest-api-id",
                api,
                "--resource-id",
                &id,
                "--http-method",
                method,
                "--query",
                "[type, uri]",
            ]);
            assert!(
                integration.starts_with("AWS_PROXY")
                    && integration.contains(":function:token/invocations"),
                "{path}: {integration}"
            );
        }
        let config = emulator.aws(&["lambda", "get-function-configuration", "--function-name", "token", "--query", "[Runtime, Handler, Environment.Variables.TOKEN_ISSUER, Environment.Variables.TOKEN_KEY_ID]"]);
        let handler = if runtime.starts_with("provided") {
            "bootstrap"
        } else {
            "index.handler"
        };
        let issuer = format!("http://localhost:4566/restapis/{api}/dev/_user_request_");
        assert_eq!(
            config.split_whitespace().collect::<Vec<_>>(),
            [runtime, handler, issuer.as_str(), "alias/signing-key"]
        );
        let stages = emulator.aws(&[
            "apigateway",
            "get-stages",
            "--rest-api-id",
            api,
            "--query",
            "item[].stageName",
        ]);
        assert_eq!(stages, "dev");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
