CREATE TABLE `policy_overlays` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`overlay` text,
	`version` integer NOT NULL,
	`revision` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `policy_versions` (
	`version` integer PRIMARY KEY NOT NULL,
	`policy` text NOT NULL,
	`note` text,
	`revision` integer NOT NULL,
	`created_at` integer NOT NULL
);
