// The script parser lives with the module parser; see wat.h.
#pragma once

#include "wasm/text/wat.h"
