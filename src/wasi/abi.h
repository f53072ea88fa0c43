// wasi_snapshot_preview1 ABI constants (values and layouts from the witx
// typenames) and the host-side helpers shared by the WASI sources.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::wasi::abi {

// errno (u16)
inline constexpr uint16_t kSuccess = 0;
inline constexpr uint16_t k2big = 1;
inline constexpr uint16_t kAcces = 2;
inline constexpr uint16_t kAddrinuse = 3;
inline constexpr uint16_t kAddrnotavail = 4;
inline constexpr uint16_t kAfnosupport = 5;
inline constexpr uint16_t kAgain = 6;
inline constexpr uint16_t kAlready = 7;
inline constexpr uint16_t kBadf = 8;
inline constexpr uint16_t kBadmsg = 9;
inline constexpr uint16_t kBusy = 10;
inline constexpr uint16_t kCanceled = 11;
inline constexpr uint16_t kChild = 12;
inline constexpr uint16_t kConnaborted = 13;
inline constexpr uint16_t kConnrefused = 14;
inline constexpr uint16_t kConnreset = 15;
inline constexpr uint16_t kDeadlk = 16;
inline constexpr uint16_t kDestaddrreq = 17;
inline constexpr uint16_t kDom = 18;
inline constexpr uint16_t kDquot = 19;
inline constexpr uint16_t kExist = 20;
inline constexpr uint16_t kFault = 21;
inline constexpr uint16_t kFbig = 22;
inline constexpr uint16_t kHostunreach = 23;
inline constexpr uint16_t kIdrm = 24;
inline constexpr uint16_t kIlseq = 25;
inline constexpr uint16_t kInprogress = 26;
inline constexpr uint16_t kIntr = 27;
inline constexpr uint16_t kInval = 28;
inline constexpr uint16_t kIo = 29;
inline constexpr uint16_t kIsconn = 30;
inline constexpr uint16_t kIsdir = 31;
inline constexpr uint16_t kLoop = 32;
inline constexpr uint16_t kMfile = 33;
inline constexpr uint16_t kMlink = 34;
inline constexpr uint16_t kMsgsize = 35;
inline constexpr uint16_t kMultihop = 36;
inline constexpr uint16_t kNametoolong = 37;
inline constexpr uint16_t kNetdown = 38;
inline constexpr uint16_t kNetreset = 39;
inline constexpr uint16_t kNetunreach = 40;
inline constexpr uint16_t kNfile = 41;
inline constexpr uint16_t kNobufs = 42;
inline constexpr uint16_t kNodev = 43;
inline constexpr uint16_t kNoent = 44;
inline constexpr uint16_t kNoexec = 45;
inline constexpr uint16_t kNolck = 46;
inline constexpr uint16_t kNolink = 47;
inline constexpr uint16_t kNomem = 48;
inline constexpr uint16_t kNomsg = 49;
inline constexpr uint16_t kNoprotoopt = 50;
inline constexpr uint16_t kNospc = 51;
inline constexpr uint16_t kNosys = 52;
inline constexpr uint16_t kNotconn = 53;
inline constexpr uint16_t kNotdir = 54;
inline constexpr uint16_t kNotempty = 55;
inline constexpr uint16_t kNotrecoverable = 56;
inline constexpr uint16_t kNotsock = 57;
inline constexpr uint16_t kNotsup = 58;
inline constexpr uint16_t kNotty = 59;
inline constexpr uint16_t kNxio = 60;
inline constexpr uint16_t kOverflow = 61;
inline constexpr uint16_t kOwnerdead = 62;
inline constexpr uint16_t kPerm = 63;
inline constexpr uint16_t kPipe = 64;
inline constexpr uint16_t kProto = 65;
inline constexpr uint16_t kProtonosupport = 66;
inline constexpr uint16_t kPrototype = 67;
inline constexpr uint16_t kRange = 68;
inline constexpr uint16_t kRofs = 69;
inline constexpr uint16_t kSpipe = 70;
inline constexpr uint16_t kSrch = 71;
inline constexpr uint16_t kStale = 72;
inline constexpr uint16_t kTimedout = 73;
inline constexpr uint16_t kTxtbsy = 74;
inline constexpr uint16_t kXdev = 75;
inline constexpr uint16_t kNotcapable = 76;

// rights (u64)
inline constexpr uint64_t kRightFdDatasync = 1ull << 0;
inline constexpr uint64_t kRightFdRead = 1ull << 1;
inline constexpr uint64_t kRightFdSeek = 1ull << 2;
inline constexpr uint64_t kRightFdFdstatSetFlags = 1ull << 3;
inline constexpr uint64_t kRightFdSync = 1ull << 4;
inline constexpr uint64_t kRightFdTell = 1ull << 5;
inline constexpr uint64_t kRightFdWrite = 1ull << 6;
inline constexpr uint64_t kRightFdAdvise = 1ull << 7;
inline constexpr uint64_t kRightFdAllocate = 1ull << 8;
inline constexpr uint64_t kRightPathCreateDirectory = 1ull << 9;
inline constexpr uint64_t kRightPathCreateFile = 1ull << 10;
inline constexpr uint64_t kRightPathLinkSource = 1ull << 11;
inline constexpr uint64_t kRightPathLinkTarget = 1ull << 12;
inline constexpr uint64_t kRightPathOpen = 1ull << 13;
inline constexpr uint64_t kRightFdReaddir = 1ull << 14;
inline constexpr uint64_t kRightPathReadlink = 1ull << 15;
inline constexpr uint64_t kRightPathRenameSource = 1ull << 16;
inline constexpr uint64_t kRightPathRenameTarget = 1ull << 17;
inline constexpr uint64_t kRightPathFilestatGet = 1ull << 18;
inline constexpr uint64_t kRightPathFilestatSetSize = 1ull << 19;
inline constexpr uint64_t kRightPathFilestatSetTimes = 1ull << 20;
inline constexpr uint64_t kRightFdFilestatGet = 1ull << 21;
inline constexpr uint64_t kRightFdFilestatSetSize = 1ull << 22;
inline constexpr uint64_t kRightFdFilestatSetTimes = 1ull << 23;
inline constexpr uint64_t kRightPathSymlink = 1ull << 24;
inline constexpr uint64_t kRightPathRemoveDirectory = 1ull << 25;
inline constexpr uint64_t kRightPathUnlinkFile = 1ull << 26;
inline constexpr uint64_t kRightPollFdReadwrite = 1ull << 27;
inline constexpr uint64_t kRightSockShutdown = 1ull << 28;
inline constexpr uint64_t kRightSockAccept = 1ull << 29;
inline constexpr uint64_t kRightsAll = (1ull << 30) - 1;

// What a regular file / a directory descriptor can meaningfully hold.
inline constexpr uint64_t kFileRights =
    kRightFdDatasync | kRightFdRead | kRightFdSeek | kRightFdFdstatSetFlags | kRightFdSync |
    kRightFdTell | kRightFdWrite | kRightFdAdvise | kRightFdAllocate | kRightFdFilestatGet |
    kRightFdFilestatSetSize | kRightFdFilestatSetTimes | kRightPollFdReadwrite;
inline constexpr uint64_t kDirRights =
    kRightFdFdstatSetFlags | kRightFdSync | kRightFdAdvise | kRightPathCreateDirectory |
    kRightPathCreateFile | kRightPathLinkSource | kRightPathLinkTarget | kRightPathOpen |
    kRightFdReaddir | kRightPathReadlink | kRightPathRenameSource | kRightPathRenameTarget |
    kRightPathFilestatGet | kRightPathFilestatSetSize | kRightPathFilestatSetTimes |
    kRightFdFilestatGet | kRightFdFilestatSetTimes | kRightPathSymlink | kRightPathRemoveDirectory |
    kRightPathUnlinkFile | kRightPollFdReadwrite;
// Everything that changes the file system; absent beneath read-only preopens.
inline constexpr uint64_t kWriteRights =
    kRightFdDatasync | kRightFdWrite | kRightFdAllocate | kRightPathCreateDirectory |
    kRightPathCreateFile | kRightPathLinkSource | kRightPathLinkTarget | kRightPathRenameSource |
    kRightPathRenameTarget | kRightPathFilestatSetSize | kRightPathFilestatSetTimes |
    kRightFdFilestatSetSize | kRightFdFilestatSetTimes | kRightPathSymlink |
    kRightPathRemoveDirectory | kRightPathUnlinkFile;
inline constexpr uint64_t kReadOnlyMask = kRightsAll & ~kWriteRights;

// filetype (u8)
inline constexpr uint8_t kFiletypeUnknown = 0;
inline constexpr uint8_t kFiletypeBlockDevice = 1;
inline constexpr uint8_t kFiletypeCharacterDevice = 2;
inline constexpr uint8_t kFiletypeDirectory = 3;
inline constexpr uint8_t kFiletypeRegularFile = 4;
inline constexpr uint8_t kFiletypeSocketDgram = 5;
inline constexpr uint8_t kFiletypeSocketStream = 6;
inline constexpr uint8_t kFiletypeSymbolicLink = 7;

// fdflags (u16)
inline constexpr uint16_t kFdflagAppend = 1 << 0;
inline constexpr uint16_t kFdflagDsync = 1 << 1;
inline constexpr uint16_t kFdflagNonblock = 1 << 2;
inline constexpr uint16_t kFdflagRsync = 1 << 3;
inline constexpr uint16_t kFdflagSync = 1 << 4;
inline constexpr uint16_t kFdflagsAll = (1 << 5) - 1;

// oflags (u16)
inline constexpr uint16_t kOflagCreat = 1 << 0;
inline constexpr uint16_t kOflagDirectory = 1 << 1;
inline constexpr uint16_t kOflagExcl = 1 << 2;
inline constexpr uint16_t kOflagTrunc = 1 << 3;
inline constexpr uint16_t kOflagsAll = (1 << 4) - 1;

// lookupflags (u32)
inline constexpr uint32_t kLookupSymlinkFollow = 1 << 0;

// fstflags (u16)
inline constexpr uint16_t kFstAtim = 1 << 0;
inline constexpr uint16_t kFstAtimNow = 1 << 1;
inline constexpr uint16_t kFstMtim = 1 << 2;
inline constexpr uint16_t kFstMtimNow = 1 << 3;
inline constexpr uint16_t kFstflagsAll = (1 << 4) - 1;

// clockid (u32)
inline constexpr uint32_t kClockRealtime = 0;
inline constexpr uint32_t kClockMonotonic = 1;
inline constexpr uint32_t kClockProcessCputime = 2;
inline constexpr uint32_t kClockThreadCputime = 3;

// whence (u8)
inline constexpr uint8_t kWhenceSet = 0;
inline constexpr uint8_t kWhenceCur = 1;
inline constexpr uint8_t kWhenceEnd = 2;

// advice (u8): normal..noreuse
inline constexpr uint8_t kAdviceMax = 5;

// eventtype (u8), subclockflags (u16), eventrwflags (u16)
inline constexpr uint8_t kEventClock = 0;
inline constexpr uint8_t kEventFdRead = 1;
inline constexpr uint8_t kEventFdWrite = 2;
inline constexpr uint16_t kSubclockAbstime = 1 << 0;
inline constexpr uint16_t kEventrwHangup = 1 << 0;

// Layouts (byte sizes / offsets).
inline constexpr uint32_t kIovecSize = 8;          // buf u32 @0, buf_len u32 @4
inline constexpr uint32_t kDirentSize = 24;        // d_next u64 @0, d_ino u64 @8,
                                                   // d_namlen u32 @16, d_type u8 @20
inline constexpr uint32_t kFdstatSize = 24;        // filetype u8 @0, flags u16 @2,
                                                   // rights_base @8, inheriting @16
inline constexpr uint32_t kFilestatSize = 64;      // dev, ino, filetype@16, nlink@24,
                                                   // size@32, atim@40, mtim@48, ctim@56
inline constexpr uint32_t kPrestatSize = 8;        // tag u8 @0, pr_name_len u32 @4
inline constexpr uint32_t kSubscriptionSize = 48;  // userdata @0, tag u8 @8, union @16
inline constexpr uint32_t kEventSize = 32;         // userdata @0, error u16 @8, type u8 @10,
                                                   // nbytes u64 @16, flags u16 @24

// Host errno → wasi errno.
uint16_t from_host_errno(int host_errno);

}  // namespace weft::wasi::abi
