// weft-oci: the runc command line that containerd's io.containerd.runc.v2
// shim drives (create, start, state, kill, delete, features, ps), for
// containers whose process is a WebAssembly module or a weft.toml app.
// Any other container is handed to runc itself, so one RuntimeClass serves
// mixed pods (as crun's -smart handlers do).
//
// The container's init process is weft: `create` makes the namespaces the
// bundle asks for, joins the ones it names (the pod's network), applies the
// cgroup limits, and leaves a child waiting on BUNDLE's exec fifo; `start`
// releases it, and it becomes `weft run MODULE ARGS` (or `weft up`) with
// the bundle's mounts as preopens, its root read-only at "/", its env and
// its memory limit as the guest's cap. The shim, a subreaper, reaps it and
// sees its exit status and signals as for any container.
#pragma once

#include <string>

namespace weft::oci::runtime {

// argv as runc gets it; `weft_binary` is the weft executable the init
// process becomes. Returns the process's exit status.
int runtime_main(int argc, char** argv, const std::string& weft_binary);

}  // namespace weft::oci::runtime
