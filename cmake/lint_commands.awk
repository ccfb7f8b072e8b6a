# The compilation database `make lint` reads: CMake's compile_commands.json with one entry a source
# file (the first; the fuzz targets compile some sources a second time, instrumented, and
# clang-tidy would check each of them twice) and nothing under the build directory (generated
# code). `build` is the build directory's absolute path. CMake writes an entry as the lines "{",
# "directory", "command", "file" [, "output"], "}" with or without a comma.
/^\{$/ { entry = $0; file = ""; next }
/^  "file": / {
  file = $0
  sub(/^  "file": "/, "", file)
  sub(/",?$/, "", file)
}
/^\},?$/ {
  if (file != "" && index(file, build "/") != 1 && !(file in seen)) {
    seen[file] = 1
    printf "%s%s\n}", (count++ ? ",\n" : "[\n"), entry
  }
  entry = ""
  next
}
entry != "" { entry = entry "\n" $0 }
END { print (count ? "\n]" : "[]") }
