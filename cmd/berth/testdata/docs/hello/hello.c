/* hello: the smallest HTTP service, for the README's walk-through of an app that is
   not Go. It answers every request on port 8000 with one line and stops on SIGTERM,
   as ECS and berth up ask a container to. Built statically, it needs no base image:
   gcc -static -O2 -o hello hello.c */
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

int main(void) {
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		"Content-Length: 13\r\nConnection: close\r\n\r\nhello from C\n";
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(8000)};
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	char buf[4096];

	signal(SIGTERM, stop);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 64) < 0)
		return 1;
	for (;;) {
		int c = accept(s, 0, 0);
		if (c < 0)
			continue;
		/* one read holds a small request's head; the answer does not depend on it */
		if (read(c, buf, sizeof buf) > 0)
			write(c, reply, sizeof reply - 1);
		close(c);
	}
}
