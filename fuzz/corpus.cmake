# The fuzz targets' seed corpora as ordinary tests, built by the normal
# (GCC) build: standalone_main.cpp replays every file through the target's
# LLVMFuzzerTestOneInput. Included from tests/CMakeLists.txt.
set(WEFT_FUZZ_DIR ${PROJECT_SOURCE_DIR}/fuzz)

# NAME_corpus replays fuzz/corpus/SEEDS through NAME.cpp's target.
function(weft_fuzz_corpus_test name seeds timeout)
  add_executable(${name}_corpus ${WEFT_FUZZ_DIR}/${name}.cpp ${WEFT_FUZZ_DIR}/standalone_main.cpp)
  target_link_libraries(${name}_corpus PRIVATE ${ARGN})
  weft_target_flags(${name}_corpus)
  string(REPLACE "fuzz_" "" short ${name})
  add_test(NAME fuzz/${short}_corpus COMMAND ${name}_corpus ${WEFT_FUZZ_DIR}/corpus/${seeds})
  set_tests_properties(fuzz/${short}_corpus PROPERTIES LABELS fuzz TIMEOUT ${timeout})
endfunction()

weft_fuzz_corpus_test(fuzz_module module 300 weft_engine)
weft_fuzz_corpus_test(fuzz_component component 300 weft_component)
# Both tiers over the module seeds: results and traps must agree.
weft_fuzz_corpus_test(fuzz_tiers module 600 weft_engine weft_native)
weft_fuzz_corpus_test(fuzz_oci oci 300 weft_oci weft_oci_runtime)
