//! Build script: the tiny benchmark spawner (spawner/, when a static C build works) and, with the `ebpf` feature, the BPF programs in bpf/.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(denet_tiny_spawner)");
    spawner::build();
    #[cfg(feature = "ebpf")]
    bpf::build();
}

/// The tiny spawner (src/bench/spawner.rs says why): a static C program embedded in denet. Optional:
/// where it cannot be built (no C compiler, no static libc such as Debian's libc6-dev or Fedora's
/// glibc-static), denet forks from its own binary instead, correct but slower per run. With musl-gcc
/// (Debian's musl-tools) it is built against musl: 40 KB instead of glibc's 700 KB, which denet copies
/// into a memfd and the kernel maps at every `denet bench` start (0.3 ms of its start-up).
mod spawner {
    use super::*;

    pub fn build() {
        let source = Path::new("spawner/denet-spawner.c");
        println!("cargo:rerun-if-changed={}", source.display());
        println!("cargo:rerun-if-changed=spawner/protocol.h");
        println!("cargo:rerun-if-changed=spawner/cgroup.h");
        println!("cargo:rerun-if-env-changed=DENET_NO_TINY_SPAWNER");
        println!("cargo:rerun-if-env-changed=DENET_NO_MUSL");
        // A static C library installed later is picked up when the compiler settings change.
        for var in ["CC", "CFLAGS", "TARGET_CC", "TARGET_CFLAGS"] {
            println!("cargo:rerun-if-env-changed={var}");
        }
        if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") || env::var_os("DENET_NO_TINY_SPAWNER").is_some() {
            return;
        }
        let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
        let out = out_dir.join("denet-spawner");
        if with_musl(source, &out, &out_dir) {
            return println!("cargo:rustc-cfg=denet_tiny_spawner");
        }
        let compiler = match cc::Build::new().cargo_metadata(false).opt_level(2).try_get_compiler() {
            Ok(c) => c,
            Err(e) => return skip(&format!("no C compiler ({e})")),
        };
        let mut cmd = compiler.to_command();
        cmd.args(["-static", "-O2", "-s", "-o"]).arg(&out).arg(source);
        match cmd.output() {
            Ok(o) if o.status.success() => println!("cargo:rustc-cfg=denet_tiny_spawner"),
            Ok(o) => skip(String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or("the compiler failed")),
            Err(e) => skip(&format!("cannot run the C compiler: {e}")),
        }
    }

    /// Build with musl-gcc for a native build; false (and glibc is used) wherever that does not work.
    /// musl-gcc searches musl's headers only, so the kernel's uapi headers (perf_event.h) are offered
    /// after them through a directory of links, never glibc's own headers.
    fn with_musl(source: &Path, out: &Path, out_dir: &Path) -> bool {
        let native = env::var("HOST").ok() == env::var("TARGET").ok();
        if !native || env::var_os("DENET_NO_MUSL").is_some() {
            return false;
        }
        let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
        let asm = [format!("/usr/include/{arch}-linux-gnu/asm"), "/usr/include/asm".to_string()]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.join("types.h").exists());
        let (Some(asm), true) = (asm, Path::new("/usr/include/linux/perf_event.h").exists()) else { return false };
        let headers = out_dir.join("kernel-headers");
        let _ = std::fs::remove_dir_all(&headers);
        let linked = std::fs::create_dir_all(&headers).is_ok()
            && std::os::unix::fs::symlink("/usr/include/linux", headers.join("linux")).is_ok()
            && std::os::unix::fs::symlink("/usr/include/asm-generic", headers.join("asm-generic")).is_ok()
            && std::os::unix::fs::symlink(asm, headers.join("asm")).is_ok();
        let mut cmd = std::process::Command::new("musl-gcc");
        cmd.args(["-static", "-O2", "-s", "-idirafter"]).arg(&headers).arg("-o").arg(out).arg(source);
        linked && cmd.output().is_ok_and(|o| o.status.success())
    }

    fn skip(why: &str) {
        println!(
            "cargo:warning=denet: the tiny spawner was not built ({why}); `denet bench` will fork each run from \
             its own binary (same figures, about 0.1-0.2 ms more per run). For static linking install \
             libc6-dev (apt) or glibc-static (dnf)."
        );
    }
}

/// The BPF programs: one object and one libbpf-cargo skeleton per `bpf/*.bpf.c`, both in OUT_DIR. The
/// skeleton (`<name>.skel.rs`) embeds the object and carries the Rust types of its maps and read-only data.
#[cfg(feature = "ebpf")]
mod bpf {
    use super::*;
    use std::process::Command;

    /// Build every program or stop the build with a message that names the missing package.
    pub fn build() {
        if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
            fail("the ebpf feature needs a Linux target (eBPF is a Linux kernel facility); build without it");
        }
        let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
        let target_arch = target_arch_define(&arch);
        let clang = env::var("BPF_CLANG").unwrap_or_else(|_| "clang".to_string());
        check_clang(&clang);
        check_libbpf_sys_needs();
        let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
        let mut includes = vec![PathBuf::from("bpf/include"), PathBuf::from("bpf")];
        includes.extend(multiarch_include(&arch));
        println!("cargo:rerun-if-env-changed=BPF_CLANG");
        for header in list("bpf", ".h").into_iter().chain(list("bpf/include/bpf", ".h")) {
            println!("cargo:rerun-if-changed={}", header.display());
        }
        for source in list("bpf", ".bpf.c") {
            println!("cargo:rerun-if-changed={}", source.display());
            let isa = if V3_PROGRAMS.iter().any(|p| source.ends_with(p)) { "v3" } else { "generic" };
            let object = compile(&clang, &source, &out, (target_arch, isa), &includes);
            skeleton(&object);
        }
    }

    /// Programs built for BPF ISA v3, for its atomic fetch-add and compare-and-swap (Linux 5.12). Each
    /// is a part of its own, so that an older kernel loses only what it measures; the others stay
    /// at the base ISA that every kernel denet supports loads.
    const V3_PROGRAMS: [&str; 1] = ["processes.bpf.c"];

    /// clang's `__TARGET_ARCH_*` for bpf_tracing.h (registers of kprobe arguments).
    fn target_arch_define(arch: &str) -> &'static str {
        match arch {
            "x86_64" | "x86" => "__TARGET_ARCH_x86",
            "aarch64" => "__TARGET_ARCH_arm64",
            "arm" => "__TARGET_ARCH_arm",
            "riscv64" => "__TARGET_ARCH_riscv",
            "powerpc64" => "__TARGET_ARCH_powerpc",
            "s390x" => "__TARGET_ARCH_s390",
            "loongarch64" => "__TARGET_ARCH_loongarch",
            "mips" | "mips64" => "__TARGET_ARCH_mips",
            other => fail(&format!("the ebpf feature does not know the architecture '{other}'; build without it")),
        }
    }

    /// Debian and Ubuntu keep `<asm/types.h>` under /usr/include/<triple>/; flat-layout distros need nothing.
    fn multiarch_include(arch: &str) -> Option<PathBuf> {
        let triple = match arch {
            "x86_64" => "x86_64-linux-gnu",
            "aarch64" => "aarch64-linux-gnu",
            "arm" => "arm-linux-gnueabihf",
            "riscv64" => "riscv64-linux-gnu",
            "powerpc64" => "powerpc64le-linux-gnu",
            "s390x" => "s390x-linux-gnu",
            "loongarch64" => "loongarch64-linux-gnu",
            _ => "",
        };
        let multiarch = Path::new("/usr/include").join(triple);
        if !triple.is_empty() && multiarch.join("asm/types.h").exists() {
            return Some(multiarch);
        }
        if Path::new("/usr/include/asm/types.h").exists() {
            return None;
        }
        fail(
            "the Linux kernel headers (<asm/types.h>) are missing; install them: \
             apt-get install linux-libc-dev (Debian, Ubuntu), dnf install kernel-headers (Fedora), \
             pacman -S linux-api-headers (Arch), apk add linux-headers (Alpine)",
        )
    }

    fn check_clang(clang: &str) {
        let ok = Command::new(clang).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
        if !ok {
            fail(&format!(
                "'{clang}' was not found; the ebpf feature compiles its BPF programs with clang: \
                 apt-get install clang (Debian, Ubuntu), dnf install clang (Fedora), pacman -S clang (Arch), \
                 apk add clang (Alpine), or set BPF_CLANG to a clang binary"
            ));
        }
    }

    /// libbpf-sys builds libbpf and links libelf and zlib: say so plainly before its own build fails.
    fn check_libbpf_sys_needs() {
        let probe = |lib: &str| Command::new("pkg-config").args(["--exists", lib]).status().map(|s| s.success());
        match (probe("libelf"), probe("zlib")) {
            (Ok(true), Ok(true)) => {}
            (Err(_), _) => fail(
                "pkg-config was not found; the ebpf feature needs it to find libelf and zlib: \
                 apt-get install pkg-config (Debian, Ubuntu), dnf install pkgconf-pkg-config (Fedora), \
                 pacman -S pkgconf (Arch), apk add pkgconf (Alpine)",
            ),
            _ => fail(
                "libelf or zlib development files are missing (libbpf needs them): \
                 apt-get install libelf-dev zlib1g-dev (Debian, Ubuntu), dnf install elfutils-libelf-devel \
                 zlib-devel (Fedora), pacman -S libelf zlib (Arch), apk add elfutils-dev zlib-dev (Alpine)",
            ),
        }
    }

    /// Compile one program with the seed's own clang invocation (the vendored headers, the multiarch
    /// include, `-Werror`), so that its failures read as they always have; returns the object's path.
    fn compile(clang: &str, source: &Path, out: &Path, (arch, isa): (&str, &str), includes: &[PathBuf]) -> PathBuf {
        let name = source.file_name().unwrap().to_string_lossy().replace(".bpf.c", ".bpf.o");
        let object = out.join(name);
        let mut cmd = Command::new(clang);
        cmd.args(["-target", "bpf", "-O2", "-g", "-Wall", "-Werror"])
            .arg(format!("-D{arch}"))
            .arg(format!("-mcpu={isa}"));
        for dir in includes {
            cmd.arg("-I").arg(dir);
        }
        cmd.arg("-c").arg(source).arg("-o").arg(&object);
        let output = cmd.output().unwrap_or_else(|e| fail(&format!("cannot run {clang}: {e}")));
        if !output.status.success() {
            fail(&format!("clang failed on {}:\n{}", source.display(), String::from_utf8_lossy(&output.stderr)));
        }
        object
    }

    /// Generate `<name>.skel.rs` next to `object`; it refers to the object with `include_bytes!`
    /// rather than copying its bytes into the source.
    fn skeleton(object: &Path) {
        let skel = object.with_extension("").with_extension("skel.rs");
        libbpf_cargo::SkeletonBuilder::new()
            .obj(object)
            .reference_obj(true)
            .generate(&skel)
            .unwrap_or_else(|e| fail(&format!("cannot generate the Rust skeleton of {}: {e:#}", object.display())));
    }

    fn list(dir: &str, suffix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| fail(&format!("cannot read {dir}: {e}")))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        files.sort();
        files
    }

    fn fail(message: &str) -> ! {
        eprintln!("error: {message}");
        println!("cargo:warning={message}");
        std::process::exit(1)
    }
}
