// A wasi:cli/command guest in Rust (std for wasm32-wasi, wasi_snapshot_preview1 through jco's
// command adapter) for the WASI host tests. argv[1] picks what it does:
//   words W...   counts its arguments with a HashMap, sorts them in a Vec, prints a String
//   file         reads /data/input.txt, writes /data/summary.txt (line and word counts),
//                reads it back and prints it; then tries /etc/passwd, outside the grant
// A failure is printed to stderr and the exit status is 2.
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::process::ExitCode;

// The adapter allocates through the module's cabi_realloc; without one it takes memory that
// the allocator of Rust's std (wasi-libc's malloc) also hands out.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(
    ptr: *mut u8,
    old_size: usize,
    align: usize,
    new_size: usize,
) -> *mut u8 {
    use std::alloc::{alloc, realloc, Layout};
    if ptr.is_null() || old_size == 0 {
        return alloc(Layout::from_size_align_unchecked(new_size.max(1), align));
    }
    realloc(ptr, Layout::from_size_align_unchecked(old_size, align), new_size)
}

fn words(args: &[String]) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for a in args {
        *counts.entry(a.as_str()).or_insert(0) += 1;
    }
    let mut sorted: Vec<(&str, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut line = String::new();
    for (word, n) in &sorted {
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(&format!("{}={}", word, n));
    }
    println!("{} words, {} distinct: {}", args.len(), sorted.len(), line);
    // Enough heap to need more than the initial memory.
    let big: Vec<u64> = (0..1_000_000u64).map(|i| i * i).collect();
    println!("sum of squares below 1e6 mod 1e9+7: {}", big.iter().fold(0u64, |s, x| (s + x % 1_000_000_007) % 1_000_000_007));
}

fn file() -> Result<(), String> {
    let text = fs::read_to_string("/data/input.txt").map_err(|e| format!("read input.txt: {}", e))?;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in text.split_whitespace() {
        *counts.entry(w).or_insert(0) += 1;
    }
    let most = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(w, n)| format!("{} ({})", w, n));
    let summary = format!(
        "lines: {}\nwords: {}\nmost frequent: {}\n",
        text.lines().count(),
        text.split_whitespace().count(),
        most.unwrap_or_else(|| "none".to_string())
    );
    let mut out = fs::File::create("/data/summary.txt").map_err(|e| format!("create summary.txt: {}", e))?;
    out.write_all(summary.as_bytes()).map_err(|e| format!("write summary.txt: {}", e))?;
    drop(out);
    print!("{}", fs::read_to_string("/data/summary.txt").map_err(|e| format!("read summary.txt: {}", e))?);
    match fs::read_to_string("/etc/passwd") {
        Ok(_) => println!("/etc/passwd: readable"),
        Err(_) => println!("/etc/passwd: not reachable"),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("words") => {
            words(&args[2..]);
            Ok(())
        }
        Some("file") => file(),
        _ => Err(format!("usage: {} words W... | file", args[0])),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust_guest: {}", e);
            ExitCode::from(2)
        }
    }
}
