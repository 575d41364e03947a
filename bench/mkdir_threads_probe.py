#!/usr/bin/env python3
"""Makes the directories of an environment with 1, 4 and 16 threads, in the states a whole-tree
reset meets on ext4: right after a copy of the environment was deleted, and right after the
directories just made were deleted. Parents before children (level by level).

    bench/mkdir_threads_probe.py SOURCE_ENV WORK_DIR

Needs room for one copy of SOURCE_ENV in WORK_DIR. Prints one line per trial; the figures are in
docs/BENCHMARKS.md ("Sixth and seventh runs").
"""
import os, sys, time, subprocess, concurrent.futures as cf
src, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
dirs = []
for root, ds, fs in os.walk(src):
    dirs.append(os.path.relpath(root, src))
levels = {}
for d in dirs:
    levels.setdefault(0 if d == '.' else d.count('/') + 1, []).append(d)
def make(dest, threads):
    t = time.time()
    with cf.ThreadPoolExecutor(threads) as ex:
        for k in sorted(levels):
            list(ex.map(lambda d: os.mkdir(os.path.join(dest, d)) if d != '.' else os.mkdir(dest), levels[k]))
    return time.time() - t
for rnd in range(2):
    for threads in (1, 4, 16):
        subprocess.run(['cp', '-a', src, work + '/twin']); subprocess.run(['sync'])
        subprocess.run(['rm', '-rf', work + '/twin'])
        dt = make(work + f'/made{threads}', threads)
        print('round', rnd, 'threads', threads, 'dirs', len(dirs), f'{dt:.3f} s (right after rm -rf of a copy)', flush=True)
        subprocess.run(['rm', '-rf', work + f'/made{threads}'])
        dt = make(work + f'/made{threads}', threads)
        print('round', rnd, 'threads', threads, 'dirs', len(dirs), f'{dt:.3f} s (right after rm -rf of the made dirs)', flush=True)
        subprocess.run(['rm', '-rf', work + f'/made{threads}'])
