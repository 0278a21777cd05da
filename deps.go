package main
import (
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/klauspost/pgzip"
	_ "github.com/klauspost/compress/gzip"
	_ "golang.org/x/sync/errgroup"
	_ "sigs.k8s.io/yaml"
)
func main(){}
