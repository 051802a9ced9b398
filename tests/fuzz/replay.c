// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * replay.c - run every file of the given directories (or files) through
 * the fuzz target once, so the corpus and past crashers are a regression
 * test without libFuzzer.  Prints "PASS: replay N inputs".  Every fuzz
 * target (fuzz_*.c) is linked with this file into its own replay binary
 * (tests/Makefile.am).  With REPLAY_TRACE set in the environment, each
 * input's path goes to stderr before it runs, so that the last line names
 * the input of a crash (tests/integration/t035-zfuzz-replay.sh uses it).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f;
	unsigned char *buf;
	long len;

	if (getenv("REPLAY_TRACE"))
		fprintf(stderr, "replay: %s\n", path);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	int i;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: cannot stat %s\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]))
				return 1;
			n++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d)
			return 1;
		while ((de = readdir(d))) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 de->d_name);
			if (run_file(path)) {
				fprintf(stderr, "replay: cannot read %s\n", path);
				closedir(d);
				return 1;
			}
			n++;
		}
		closedir(d);
	}
	printf("PASS: replay %lu inputs\n", n);
	return 0;
}
