# Writes OUT, a C file defining `const char ren_shader_<name>[]` for every
# shader file in SHADERS, so the binary carries its shaders and runs from
# any directory. Run by the build (render/CMakeLists.txt) when a shader
# changes.
set(text "/* Generated from shaders/ by shaders/embed.cmake: do not edit. */\n")
foreach(path ${SHADERS})
  get_filename_component(file ${path} NAME)
  string(REPLACE "." "_" name ${file})
  file(READ ${path} body)
  # Raw string pieces: escape backslashes and quotes, one C line per line.
  string(REPLACE "\\" "\\\\" body "${body}")
  string(REPLACE "\"" "\\\"" body "${body}")
  string(REPLACE "\n" "\\n\"\n    \"" body "${body}")
  string(APPEND text "const char ren_shader_${name}[] =\n    \"${body}\";\n")
endforeach()
file(WRITE ${OUT} "${text}")
