CREATE TABLE `config_entries` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `job_slots` (
	`job_id` text PRIMARY KEY NOT NULL,
	`acquired_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rate_buckets` (
	`name` text PRIMARY KEY NOT NULL,
	`tokens` real NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_buckets_by_age` ON `rate_buckets` (`updated_at`);--> statement-breakpoint
CREATE TABLE `tenant_usage` (
	`window` text PRIMARY KEY NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`images` integer DEFAULT 0 NOT NULL,
	`throttled` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE `tenant` ADD `limits_override` text;--> statement-breakpoint
ALTER TABLE `tenant` ADD `email` text;--> statement-breakpoint
ALTER TABLE `tenant` ADD `name` text;