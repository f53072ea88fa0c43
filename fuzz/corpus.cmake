# The fuzz targets' seed corpora as ordinary tests, built by the normal
# (GCC) build: standalone_main.cpp replays every file through the target's
# LLVMFuzzerTestOneInput. Included from tests/CMakeLists.txt.
set(WEFT_FUZZ_DIR ${PROJECT_SOURCE_DIR}/fuzz)

add_executable(fuzz_module_corpus ${WEFT_FUZZ_DIR}/fuzz_module.cpp
                                  ${WEFT_FUZZ_DIR}/standalone_main.cpp)
target_link_libraries(fuzz_module_corpus PRIVATE weft_engine)
weft_target_flags(fuzz_module_corpus)
add_test(NAME fuzz/module_corpus
         COMMAND fuzz_module_corpus ${WEFT_FUZZ_DIR}/corpus/module)
set_tests_properties(fuzz/module_corpus PROPERTIES LABELS fuzz TIMEOUT 300)

add_executable(fuzz_component_corpus ${WEFT_FUZZ_DIR}/fuzz_component.cpp
                                     ${WEFT_FUZZ_DIR}/standalone_main.cpp)
target_link_libraries(fuzz_component_corpus PRIVATE weft_component)
weft_target_flags(fuzz_component_corpus)
add_test(NAME fuzz/component_corpus
         COMMAND fuzz_component_corpus ${WEFT_FUZZ_DIR}/corpus/component)
set_tests_properties(fuzz/component_corpus PROPERTIES LABELS fuzz TIMEOUT 300)

# Both tiers over the module seeds: results and traps must agree.
add_executable(fuzz_tiers_corpus ${WEFT_FUZZ_DIR}/fuzz_tiers.cpp ${WEFT_FUZZ_DIR}/standalone_main.cpp)
target_link_libraries(fuzz_tiers_corpus PRIVATE weft_engine weft_native)
weft_target_flags(fuzz_tiers_corpus)
add_test(NAME fuzz/tiers_corpus COMMAND fuzz_tiers_corpus ${WEFT_FUZZ_DIR}/corpus/module)
set_tests_properties(fuzz/tiers_corpus PROPERTIES LABELS fuzz TIMEOUT 600)

add_executable(fuzz_oci_corpus ${WEFT_FUZZ_DIR}/fuzz_oci.cpp ${WEFT_FUZZ_DIR}/standalone_main.cpp)
target_link_libraries(fuzz_oci_corpus PRIVATE weft_oci weft_oci_runtime)
weft_target_flags(fuzz_oci_corpus)
add_test(NAME fuzz/oci_corpus COMMAND fuzz_oci_corpus ${WEFT_FUZZ_DIR}/corpus/oci)
set_tests_properties(fuzz/oci_corpus PROPERTIES LABELS fuzz TIMEOUT 300)
