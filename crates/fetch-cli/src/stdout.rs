//! The one way commands and lessons write to stdout.
//!
//! `fetch-tokio tour | head -1` closes the pipe after one line. Rust ignores
//! SIGPIPE, so the next write fails with `BrokenPipe`, and `println!`
//! panics on it. Writing through here instead, a closed pipe ends the
//! process at once, quietly, with exit code 0, as ripgrep and the classic
//! Unix tools do: the reader has what it wanted. Any other write error is
//! reported on stderr with exit code 1.

use std::io::Write as _;

/// Writes `args` to stdout and flushes it.
pub(crate) fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(err) = out.write_fmt(args).and_then(|()| out.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: could not write to stdout: {err}");
        std::process::exit(1);
    }
}

/// `println!` through [`write`].
macro_rules! outln {
    () => {
        $crate::stdout::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`write`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};
