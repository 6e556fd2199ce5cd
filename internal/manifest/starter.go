package manifest

import (
	"fmt"
	"strings"
)

// Starter is what "berth init" writes where it finds no app: every key with its
// default, commented, and a public image to run.
const Starter = `# berth.yml: one service on Amazon ECS with EC2 capacity (berth deploy),
# or on the local Docker engine (berth up). Every key but name is optional;
# the values shown are the defaults. Reference: docs/manifest.md.

name: web                  # 1-20 characters: a-z, 0-9, -

image:
  location: public.ecr.aws/nginx/nginx:latest   # an image to run as is
  # build: ./app           # or a directory to build: a Go main package
                           # (no Dockerfile needed) or one with a Dockerfile

port: 80                   # container port the service listens on
cpu: 256                   # CPU units, 1024 = 1 vCPU
memory: 512                # MiB
count: 2                   # tasks; or a range with target-tracking scaling:
# count: {min: 2, max: 10, cpu: 70, requests: 1000}

health:
  path: /
  interval: 6              # seconds between checks
  timeout: 5               # seconds
  healthy_threshold: 2
  unhealthy_threshold: 10
  grace_period: 60         # seconds failed checks are ignored after a start

# env:                     # plain text: visible in the template and the task definition
#   LOG_LEVEL: info
# secrets:                 # read by ECS when a task starts; berth up reads them from
#                          # the environment or berth.secrets.env next to this file
#   DB_PASSWORD: ssm:/web/db-password          # SSM Parameter Store (SecureString)
#   API_KEY: secretsmanager:web/api-key        # Secrets Manager, the whole value
#   DB_USER: secretsmanager:web/db#username    # or one key of a JSON secret
# permissions:             # the task role: what the app may call in AWS
#   - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
#   - allow: [s3:PutObject]
#     resources: [arn:aws:s3:::web-uploads/*]

deployment:
  max_percent: 200         # of count, running during a rollout
  min_healthy_percent: 75

load_balancer:            # the environment's, shared by its services (one each: dedicated: true)
  # path: /web             # where this service answers on it: /web and below; the one
  #                        # service without a path (or host) is the environment's default
  idle_timeout: 30
  deregistration_delay: 10 # seconds requests in flight get to finish on a drain

capacity:                  # the environment's, shared by its services; berth cost
                           # prices each choice
  type: ec2                # or fargate, fargate-spot (then no keys below but arch)
  # arch: arm64            # Graviton; on ec2 the instance type decides
  instance_type: c5.xlarge
  desired: 0               # instances at start: 0 lets the capacity provider launch them
  max: 100
  ami: /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id
  volume_size: 50          # GiB, encrypted gp3

network:
  cidr: 10.0.0.0/16
  azs: 2
  nat: per-az              # or single: one NAT gateway, cheaper, not zone-redundant
  placement: private       # or public: tasks in the public subnets, no NAT
                           # gateway (cheaper for heavy outbound traffic)
  # In a VPC your company already has, berth creates no network: remove cidr, azs
  # and nat, and name it and its subnets (berth checks them before a deploy).
  # vpc: vpc-0123456789abcdef0
  # public_subnets: [subnet-..., subnet-...]     # the load balancer's, two zones
  # private_subnets: [subnet-..., subnet-...]    # the tasks', behind a NAT gateway

logs:
  retention: 30            # days
`

// StarterFor is the starter for an app berth init found: its name, what to build, its
// port and health path in place of the placeholder's, every other key as in Starter.
func StarterFor(name, build string, port int, healthPath string) string {
	s := strings.Replace(Starter, "name: web                  # 1-20 characters: a-z, 0-9, -",
		fmt.Sprintf("%-26s # 1-20 characters: a-z, 0-9, -", "name: "+name), 1)
	s = strings.Replace(s, `  location: public.ecr.aws/nginx/nginx:latest   # an image to run as is
  # build: ./app           # or a directory to build: a Go main package
                           # (no Dockerfile needed) or one with a Dockerfile`,
		fmt.Sprintf(`  %-24s # a directory to build: a Go main package
                           # (no Dockerfile needed) or one with a Dockerfile
  # location: public.ecr.aws/nginx/nginx:latest   # or an image to run as is`, "build: "+build), 1)
	s = strings.Replace(s, "port: 80                   # container port", fmt.Sprintf("%-26s # container port", fmt.Sprintf("port: %d", port)), 1)
	s = strings.Replace(s, "  path: /\n", "  path: "+healthPath+"\n", 1)
	for _, w := range []string{"web/", "/web/"} { // the secrets' examples name the service
		s = strings.ReplaceAll(s, w, strings.Replace(w, "web", name, 1))
	}
	return s
}
