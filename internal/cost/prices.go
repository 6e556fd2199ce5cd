package cost

// The price table: on-demand list prices in US dollars, Linux, per region, of what berth
// deploys, compiled by hand on PricesDate. The US East figures that dominate an estimate
// (NAT gateway $0.045/hour and $0.045/GB, public IPv4 $0.005/hour, Fargate $0.04048 per
// vCPU hour and $0.004445 per GB hour, ARM $0.03238 and $0.00356) were checked against
// pricing write-ups dated 2026 that quote AWS's pages (cloudburn.io, vantage.sh,
// factualminds.com); the other regions' figures were not checked against AWS's pages
// from the machine berth was built on, and say so (Prices.Checked). AWS changes prices
// without notice: check the AWS Pricing Calculator before a decision that turns on a few
// dollars.
const (
	PricesDate   = "2026-11-26"
	PricesSource = "on-demand list prices of Amazon VPC (NAT gateway, public IPv4), Elastic Load Balancing, Amazon EC2, Amazon EBS, AWS Fargate and Amazon CloudWatch Logs"
	// HoursPerMonth is how AWS's own calculator counts a month.
	HoursPerMonth = 730
)

// Prices are one region's.
type Prices struct {
	NATHour, NATGB      float64 // a NAT gateway's hour, and each GB it processes
	ALBHour, LCUHour    float64 // an Application Load Balancer's hour, and a load balancer capacity unit's
	IPv4Hour            float64 // a public IPv4 address's hour (in use or not)
	GP3GBMonth          float64 // gp3 storage, per GB and month
	LogsGB              float64 // CloudWatch Logs ingestion, per GB
	FargateVCPU, FargGB float64 // Fargate Linux/x86, per vCPU hour and GB hour
	ArmVCPU, ArmGB      float64 // Fargate Linux/ARM
	// Checked says the figures were checked against a published source when compiled.
	Checked bool
	// Large is the hourly price of each family's "large" size (t-families too); sizes
	// scale it (Size), as AWS prices these families linearly.
	Large map[string]float64
}

// FargateSpotShare is what Fargate Spot costs against on-demand. Spot prices move with
// spare capacity, by region and hour; AWS advertises up to 70 % off.
const FargateSpotShare = 0.3

// Size is a size's multiple of large.
var Size = map[string]float64{
	"nano": 1.0 / 16, "micro": 1.0 / 8, "small": 1.0 / 4, "medium": 0.5, "large": 1, "xlarge": 2, "2xlarge": 4,
	"4xlarge": 8, "8xlarge": 16, "9xlarge": 18, "12xlarge": 24, "16xlarge": 32, "18xlarge": 36, "24xlarge": 48,
}

// usEast is N. Virginia's instance prices, which Ohio and Oregon share.
var usEast = map[string]float64{
	"c5": 0.085, "c5a": 0.077, "c6i": 0.085, "c6a": 0.0765, "c7i": 0.08925, "c6g": 0.068, "c7g": 0.0725,
	"m5": 0.096, "m5a": 0.086, "m6i": 0.096, "m6a": 0.0864, "m7i": 0.1008, "m6g": 0.077, "m7g": 0.0816,
	"r5": 0.126, "r5a": 0.113, "r6i": 0.126, "r6a": 0.1134, "r7i": 0.1323, "r6g": 0.1008, "r7g": 0.1071,
	"t3": 0.0832, "t3a": 0.0752, "t4g": 0.0672,
}

func usEastLike(checked bool) Prices {
	return Prices{NATHour: 0.045, NATGB: 0.045, ALBHour: 0.0225, LCUHour: 0.008, IPv4Hour: 0.005, GP3GBMonth: 0.08, LogsGB: 0.50,
		FargateVCPU: 0.04048, FargGB: 0.004445, ArmVCPU: 0.03238, ArmGB: 0.00356, Large: usEast, Checked: checked}
}

// Table holds the regions berth knows the prices of: North America and Europe.
var Table = map[string]Prices{
	"us-east-1": usEastLike(true),
	"us-east-2": usEastLike(true),
	"us-west-2": usEastLike(false),
	"us-west-1": {NATHour: 0.048, NATGB: 0.048, ALBHour: 0.0252, LCUHour: 0.008, IPv4Hour: 0.005, GP3GBMonth: 0.096, LogsGB: 0.57,
		FargateVCPU: 0.04656, FargGB: 0.00511, ArmVCPU: 0.03725, ArmGB: 0.00409,
		Large: map[string]float64{"c5": 0.106, "c6i": 0.106, "c6g": 0.0848, "m5": 0.112, "m6i": 0.112, "m6g": 0.0896,
			"r5": 0.148, "r6i": 0.148, "r6g": 0.1184, "t3": 0.0992, "t4g": 0.0794}},
	"ca-central-1": {NATHour: 0.05, NATGB: 0.05, ALBHour: 0.02475, LCUHour: 0.0088, IPv4Hour: 0.005, GP3GBMonth: 0.088, LogsGB: 0.55,
		FargateVCPU: 0.04456, FargGB: 0.004865, ArmVCPU: 0.03565, ArmGB: 0.00389,
		Large: map[string]float64{"c5": 0.093, "c6i": 0.093, "c6g": 0.0744, "m5": 0.107, "m6i": 0.107, "m6g": 0.0856,
			"r5": 0.138, "r6i": 0.138, "r6g": 0.1104, "t3": 0.0928, "t4g": 0.0742}},
	"eu-west-1": {NATHour: 0.048, NATGB: 0.048, ALBHour: 0.0252, LCUHour: 0.008, IPv4Hour: 0.005, GP3GBMonth: 0.088, LogsGB: 0.57,
		FargateVCPU: 0.04048, FargGB: 0.004445, ArmVCPU: 0.03238, ArmGB: 0.00356,
		Large: map[string]float64{"c5": 0.096, "c6i": 0.096, "c7i": 0.1008, "c6g": 0.0768, "c7g": 0.0818, "m5": 0.107, "m6i": 0.107,
			"m7i": 0.11235, "m6g": 0.086, "m7g": 0.0912, "r5": 0.141, "r6i": 0.141, "r7i": 0.14805, "r6g": 0.1128, "r7g": 0.1198,
			"t3": 0.0912, "t4g": 0.0736}},
	"eu-west-2": {NATHour: 0.05, NATGB: 0.05, ALBHour: 0.02646, LCUHour: 0.0084, IPv4Hour: 0.005, GP3GBMonth: 0.0928, LogsGB: 0.5985,
		FargateVCPU: 0.04656, FargGB: 0.00511, ArmVCPU: 0.03725, ArmGB: 0.00409,
		Large: map[string]float64{"c5": 0.101, "c6i": 0.101, "c6g": 0.0808, "m5": 0.111, "m6i": 0.111, "m6g": 0.0888,
			"r5": 0.148, "r6i": 0.148, "r6g": 0.1184, "t3": 0.0944, "t4g": 0.0755}},
	"eu-west-3": {NATHour: 0.05, NATGB: 0.05, ALBHour: 0.02646, LCUHour: 0.0084, IPv4Hour: 0.005, GP3GBMonth: 0.0928, LogsGB: 0.5985,
		FargateVCPU: 0.04656, FargGB: 0.00511, ArmVCPU: 0.03725, ArmGB: 0.00409,
		Large: map[string]float64{"c5": 0.101, "c6i": 0.101, "c6g": 0.0808, "m5": 0.112, "m6i": 0.112, "m6g": 0.0896,
			"r5": 0.148, "r6i": 0.148, "r6g": 0.1184, "t3": 0.0944, "t4g": 0.0755}},
	"eu-central-1": {NATHour: 0.052, NATGB: 0.052, ALBHour: 0.027, LCUHour: 0.008, IPv4Hour: 0.005, GP3GBMonth: 0.0952, LogsGB: 0.63,
		FargateVCPU: 0.04656, FargGB: 0.00511, ArmVCPU: 0.03725, ArmGB: 0.00409,
		Large: map[string]float64{"c5": 0.097, "c6i": 0.097, "c7i": 0.10185, "c6g": 0.0776, "c7g": 0.0824, "m5": 0.115, "m6i": 0.115,
			"m7i": 0.12075, "m6g": 0.092, "m7g": 0.0977, "r5": 0.152, "r6i": 0.152, "r7i": 0.1596, "r6g": 0.1216, "r7g": 0.1292,
			"t3": 0.096, "t4g": 0.0768}},
	"eu-north-1": {NATHour: 0.046, NATGB: 0.046, ALBHour: 0.02394, LCUHour: 0.0076, IPv4Hour: 0.005, GP3GBMonth: 0.0836, LogsGB: 0.5355,
		FargateVCPU: 0.04045, FargGB: 0.004445, ArmVCPU: 0.03236, ArmGB: 0.00356,
		Large: map[string]float64{"c5": 0.091, "c6i": 0.091, "c6g": 0.0728, "m5": 0.102, "m6i": 0.102, "m6g": 0.0816,
			"r5": 0.134, "r6i": 0.134, "r6g": 0.1072, "t3": 0.0864, "t4g": 0.0691}},
}
