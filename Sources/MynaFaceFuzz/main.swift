// Placeholder; the libFuzzer entry point lives here.
