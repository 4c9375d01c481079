/*
 * replay.c - the plain driver of the fuzz targets: feeds every file of the
 * corpus folders given as arguments to LLVMFuzzerTestOneInput, so a crash
 * found once stays a test (CTest runs it in every build, sanitizers and
 * valgrind included). With clang and -DKSEF_BUILD_FUZZERS=ON the same
 * targets link against libFuzzer instead.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz_support.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int not_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	int i, files = 0;

	for (i = 1; i < argc; i++) {
		struct dirent **names;
		char path[4096];
		int n, j, rc = 0;

		/* In name order, so that a target that keeps state between
		 * inputs (ksefd_request's store) sees them the same way in
		 * every run. */
		n = scandir(argv[i], &names, not_hidden, alphasort);
		if (n < 0) {
			if (run_file(argv[i]) != 0)
				return 1;
			files++;
			continue;
		}
		for (j = 0; j < n; j++) {
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 names[j]->d_name);
			if (rc == 0 && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				rc = run_file(path);
				files++;
			}
			free(names[j]);
		}
		free(names);
		if (rc != 0)
			return 1;
	}
	printf("replayed %d inputs\n", files);
	return files > 0 ? 0 : 1;
}
