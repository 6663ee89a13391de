// libFuzzer target over the portrait container parsers, the image decoders and the ONNX model reader.
//
// Fuzzing build (see Scripts/fuzz.sh):
//   swift build -c debug --product mynaface-fuzz --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DMYNAFACE_LIBFUZZER
// SwiftPM links the program entry as `MynaFaceFuzz_main`, defined below to run libFuzzer's driver, which calls
// `LLVMFuzzerTestOneInput` for every input.
//
// Normal build (`swift build --product mynaface-fuzz`): the top-level code below is the entry point and runs every
// file given as an argument (or every file in a directory) through the same function, so a crash reproducer can be
// replayed without the fuzzer: `mynaface-fuzz crash-<hash>`.
import FaceImaging
import Logging
import MynaCard
import ONNXFormat

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small limits keep every run fast: the fuzzer looks for crashes, not for big images.
enum FuzzConfig {
    static let containerLimits = ContainerLimits(
        tlv: TLVLimits(maxDepth: 16, maxElementLength: 1 << 20, maxInputBytes: 1 << 20), maxImagePixels: 4_000_000,
        maxFaces: 8)
    static let decodeOptions = DecodeOptions(
        limits: DecodeLimits(maxInputBytes: 1 << 20, maxPixels: 4_000_000, maxSide: 4_000))
    /// `MYNAFACE_FUZZ_SKIP_DECODE=1`: fuzz the container parsers only (no pixel decoding), to isolate them.
    static let skipDecode: Bool = getenv("MYNAFACE_FUZZ_SKIP_DECODE").map { String(cString: $0) == "1" } ?? false
}

/// Runs one input through every parser and decoder. Errors are expected; only crashes matter.
func fuzzOne(_ bytes: [UInt8]) {
    let fuzzContainerLimits = FuzzConfig.containerLimits
    let fuzzDecodeOptions = FuzzConfig.decodeOptions
    _ = try? BERTLV.parse(bytes, limits: fuzzContainerLimits.tlv)
    _ = try? CardFaceFile.parse(bytes, limits: fuzzContainerLimits)
    _ = try? CardVerifiableCertificate.parse(bytes, limits: fuzzContainerLimits)
    _ = try? DG2.parse(bytes, limits: fuzzContainerLimits)
    _ = try? ONNXModelReader.read(bytes)
    if FuzzConfig.skipDecode {
        _ = try? PortraitContainer.locatePortraits(bytes, limits: fuzzContainerLimits)
        return
    }
    _ = try? PortraitContainer.parse(bytes, limits: fuzzContainerLimits)
    _ = try? PortraitContainer.extractPortrait(
        bytes,
        options: PortraitOptions(
            limits: fuzzContainerLimits,
            decode: fuzzDecodeOptions))
    _ = try? ImageDecoder.decode(bytes, options: fuzzDecodeOptions)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else {
        fuzzOne([])
        return 0
    }
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if MYNAFACE_LIBFUZZER
    /// libFuzzer's driver (compiler-rt, LLVM ≥ 11), for programs that own `main`.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// SwiftPM links executables with `--defsym main=<Module>_main`; with -parse-as-library there is no top-level
    /// code, so this is the program entry: hand the command line to libFuzzer.
    @_cdecl("MynaFaceFuzz_main")
    public func fuzzProgramMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        // The codecs log OpenJPEG's and libjpeg's warnings; millions of inputs would spend their time printing them.
        LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzTestOneInput(data, size) }
    }
#else
    /// Writes one line to standard error.
    func printError(_ message: String) {
        var line = message + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Replays files (or directories of files) given as arguments through `fuzzOne`.
    func replay(_ paths: [String]) -> Int32 {
        var count = 0
        for path in paths {
            var isDirectory = false
            var st = stat()
            if stat(path, &st) == 0 { isDirectory = (st.st_mode & S_IFMT) == S_IFDIR }
            let files: [String]
            if isDirectory, let dir = opendir(path) {
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                    if name != "." && name != ".." { names.append(path + "/" + name) }
                }
                closedir(dir)
                files = names.sorted()
            } else {
                files = [path]
            }
            for file in files {
                guard let handle = fopen(file, "rb") else {
                    printError("mynaface-fuzz: cannot open \(file)")
                    return 1
                }
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let n = fread(&buffer, 1, buffer.count, handle)
                    if n <= 0 { break }
                    bytes += buffer[0..<n]
                    if bytes.count > 8 << 20 { break }
                }
                fclose(handle)
                fuzzOne(bytes)
                count += 1
            }
        }
        print("mynaface-fuzz: ran \(count) input(s) without a crash")
        return 0
    }

    /// Entry of the normal build. A declaration, not a statement, so the file also compiles with -parse-as-library
    /// (the libFuzzer build, where this global is never touched and libFuzzer's `main` runs instead).
    func replayMain() -> Int32 {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.isEmpty {
            printError("usage: mynaface-fuzz FILE|DIR… (replays inputs; build with Scripts/fuzz.sh to fuzz)")
            exit(2)
        }
        exit(replay(arguments))
    }

    let replayStatus = replayMain()
#endif
