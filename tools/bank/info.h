/* strata-bank info: what a packed bank holds, and one keyframe in detail (info.c).
 *
 *   strata-bank info FILE                       header facts, the first keyframes
 *   strata-bank info FILE --keyframe N [--json] keyframe N: name, size, latent
 *                                               statistics, neighbours, provenance
 *
 * Main thread. Prints to stdout; errors (naming the file or option) to stderr. Returns
 * the exit code: 0 done, 1 the file could not be read, 2 usage (a bad option or a
 * keyframe outside the bank). */
#ifndef STRATA_BANK_INFO_H
#define STRATA_BANK_INFO_H

int strata_bank_cmd_info(int argc, char **argv);

#endif
