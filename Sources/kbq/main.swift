import KBQShell

#if canImport(Glibc)
import Glibc
#endif

exit(KBQMain.run(CommandLine.arguments))
