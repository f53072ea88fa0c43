// A Rust guest (std on wasm32-wasi): args, env, stdin, files and directories
// in the "/sandbox" preopen, time and the exit code.
use std::fs;
use std::io::{Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("args={:?}", args);
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    println!("env={:?}", vars);

    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    println!("stdin={:?}", input);

    fs::create_dir_all("/sandbox/rust/nested").unwrap();
    fs::write("/sandbox/rust/nested/data.txt", b"from rust\n").unwrap();
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open("/sandbox/rust/nested/data.txt")
        .unwrap();
    f.write_all(b"appended\n").unwrap();
    drop(f);
    let text = fs::read_to_string("/sandbox/rust/nested/data.txt").unwrap();
    println!("read={:?}", text);
    let meta = fs::metadata("/sandbox/rust/nested/data.txt").unwrap();
    println!("len={} is_file={}", meta.len(), meta.is_file());
    fs::rename("/sandbox/rust/nested/data.txt", "/sandbox/rust/renamed.txt").unwrap();
    let mut names: Vec<String> = fs::read_dir("/sandbox/rust")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    println!("dir={:?}", names);
    fs::remove_dir("/sandbox/rust/nested").unwrap();
    println!(
        "escape={}",
        fs::read_to_string("/sandbox/../outside.txt").is_err()
    );
    let start = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    println!("slept={}", start.elapsed().as_millis() >= 5);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    println!("after_2020={}", now.as_secs() > 1_600_000_000);
    eprintln!("rust stderr");
    std::io::stdout().flush().unwrap();
    std::process::exit(7);
}
