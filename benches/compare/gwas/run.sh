#!/bin/sh
# metapool gwas vs plink 1.9 --meta-analysis (and GWAMA) on N variants x K cohorts.
#   sh benches/compare/gwas/run.sh [N=1000000] [K=10]   (from the repository root)
# SKIP_HASH=1 leaves out the hash join (about 1.3 kB per variant: 13 GB at 10 million variants);
# METAPOOL_BIN names a release binary built elsewhere.
# metapool reads the cohorts gzip-compressed (as real files come), plink and GWAMA plain text.
# Peak memory and CPU time from /usr/bin/time -v. Runs niced; on a shared machine compare CPU
# times (user + sys), not wall clock.
set -eu
n=${1:-1000000}
k=${2:-10}
root=$(pwd)
bin=${METAPOOL_BIN:-$root/target/release/metapool}
[ -x "$bin" ] || cargo build --release -p metapool-cli
dir=$(mktemp -d)
cd "$dir"
nice -n 10 python3 "$root/benches/compare/gwas/generate.py" "$n" "$k"
i=0
files=""
gz=""
while [ $i -lt "$k" ]; do
  gzip -1 -k "c$i.txt"
  files="$files c$i.txt"
  gz="$gz c$i.txt.gz"
  i=$((i + 1))
done
report() { grep -E "User time|System time|Elapsed|Maximum resident" "$1" | sed "s/^/$2: /"; }
nice -n 10 /usr/bin/time -v "$bin" gwas --scheme ivw --het --random DL --sorted -o ours.tsv $gz 2> t_ours.txt
report t_ours.txt "metapool --sorted (gzip)"
if [ "${SKIP_HASH:-0}" = 0 ]; then
  nice -n 10 /usr/bin/time -v "$bin" gwas --scheme ivw --het --random DL -o ours_hash.tsv $gz 2> t_hash.txt
  report t_hash.txt "metapool hash join (gzip)"
fi
nice -n 10 /usr/bin/time -v plink1.9 --meta-analysis $files + qt --out plink > /dev/null 2> t_plink.txt
report t_plink.txt "plink 1.9 (plain)"
[ "${SKIP_HASH:-0}" != 0 ] || { cmp ours.tsv ours_hash.tsv && echo "sorted merge and hash join: identical output"; }
echo "results in $dir"
