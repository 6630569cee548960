import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parse} from 'yaml'

import {canonicalService} from '../../src/model/compose/canonical-service.js'
import {parseDuration, splitWords} from '../../src/model/compose/canonical-values.js'

/*
 * Fixtures: the `services:` of real `compose config` output, captured with `docker-compose -p x -f FILE
 * config` (v1 1.29.2) and `docker compose -p x -f FILE config` (v2 2.26.1) in /tmp/kedge-fixture, from
 * four compose files:
 * - web: command/entrypoint strings, short and long ports (host IPs, IPv6, ranges), short and long
 *   volumes, list depends_on, a string healthcheck, env_file, list environment and labels, extra_hosts,
 *   numeric expose, `build: .`, build args, an empty command, networks.
 * - options: build options, pull_policy, ulimits, logging, sysctls, tmpfs, devices, capabilities, dns,
 *   security_opt, secrets and configs (short and long), deploy resources and durations, sizes,
 *   healthcheck disable, scale, and the false, zero and empty values v1 prints and v2 leaves out.
 * - links: links, volumes_from and `service:` namespaces (dependencies v2 derives), a map of
 *   extra_hosts, quoted and escaped command words, numbers in environment, odd durations.
 * - mounts: short volume options (cached, delegated, propagation, SELinux, nocopy), long volumes with
 *   defaults set, tmpfs, and more port forms.
 */

const WEB_V1 = String.raw`services:
  cache:
    build:
      context: /tmp/kedge-fixture
    command:
    - redis-server
    - --save
    - ''
    healthcheck:
      interval: 1500ms
      test:
      - CMD
      - redis-cli
      - ping
    network_mode: host
  db:
    depends_on:
      cache:
        condition: service_healthy
    environment:
      POSTGRES_PASSWORD: 5
      RATIO: 1.5
    image: postgres:16
    labels:
      com.example.weight: '1'
    networks:
      back: null
  web:
    command: nginx -g 'daemon off;' --flag "a b" c\ d
    depends_on:
      db:
        condition: service_started
    entrypoint: /docker-entrypoint.sh
    environment:
      APP_MODE: production
      EMPTY: ''
      HOME: /root
      LOG_LEVEL: debug
      WORKERS: '4'
    expose:
    - 3000
    - '3001'
    extra_hosts:
    - somehost:162.242.195.82
    - v6host:::1
    healthcheck:
      interval: 90s
      retries: 3
      start_period: 5s
      test: curl -f http://localhost/ || exit 1
      timeout: 90s
    image: nginx:1.25
    labels:
      com.example.flag: ''
      com.example.tier: '1'
    ports:
    - 127.0.0.1:9000:9000/udp
    - published: 8080
      target: 80
    - target: 80
    - published: 8000
      target: 8000
    - published: 8001
      target: 8001
    - ::1:81:81/tcp
    - 127.0.0.1:7000:7000/tcp
    - 127.0.0.1:7001:7001/tcp
    - published: 9100-9102
      target: 9100
    - mode: host
      protocol: tcp
      published: 8443
      target: 443
    stop_grace_period: 1m
    volumes:
    - /tmp/kedge-fixture/site:/var/www:ro
    - data:/data:rw
    - /var/cache/nginx
    - /tmp/kedge-fixture/conf/nginx.conf:/etc/nginx/nginx.conf:ro,z
    - data:/seed:nocopy
    - /srv/shared:/shared:rw
    - read_only: true
      source: /tmp/kedge-fixture/site
      target: /long
      type: bind
  worker:
    build:
      args:
        RELEASE: '3'
        UNSET_ARG: ''
      context: /tmp/kedge-fixture/site
    command: ''
    networks:
      back: null
      front:
        aliases:
        - w
`

const WEB_V2 = String.raw`services:
  cache:
    build:
      context: /tmp/kedge-fixture
      dockerfile: Dockerfile
    command:
      - redis-server
      - --save
      - ""
    healthcheck:
      test:
        - CMD
        - redis-cli
        - ping
      interval: 1.5s
    network_mode: host
  db:
    depends_on:
      cache:
        condition: service_healthy
        required: true
    environment:
      POSTGRES_PASSWORD: "5"
      RATIO: "1.5"
    image: postgres:16
    labels:
      com.example.weight: "1"
    networks:
      back: null
  web:
    command:
      - nginx
      - -g
      - daemon off;
      - --flag
      - a b
      - c d
    depends_on:
      db:
        condition: service_started
        required: true
    entrypoint:
      - /docker-entrypoint.sh
    environment:
      APP_MODE: production
      EMPTY: ""
      HOME: /root
      LOG_LEVEL: debug
      WORKERS: "4"
    expose:
      - "3000"
      - "3001"
    extra_hosts:
      - somehost=162.242.195.82
      - v6host=::1
    healthcheck:
      test:
        - CMD-SHELL
        - curl -f http://localhost/ || exit 1
      timeout: 1m30s
      interval: 1m30s
      retries: 3
      start_period: 5s
    image: nginx:1.25
    labels:
      com.example.flag: ""
      com.example.tier: "1"
    networks:
      default: null
    ports:
      - mode: ingress
        host_ip: 127.0.0.1
        target: 9000
        published: "9000"
        protocol: udp
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
      - mode: ingress
        target: 80
        protocol: tcp
      - mode: ingress
        target: 8000
        published: "8000"
        protocol: tcp
      - mode: ingress
        target: 8001
        published: "8001"
        protocol: tcp
      - mode: ingress
        host_ip: ::1
        target: 81
        published: "81"
        protocol: tcp
      - mode: ingress
        host_ip: 127.0.0.1
        target: 7000
        published: "7000"
        protocol: tcp
      - mode: ingress
        host_ip: 127.0.0.1
        target: 7001
        published: "7001"
        protocol: tcp
      - mode: ingress
        target: 9100
        published: 9100-9102
        protocol: tcp
      - mode: host
        target: 443
        published: "8443"
        protocol: tcp
    stop_grace_period: 1m0s
    volumes:
      - type: bind
        source: /tmp/kedge-fixture/site
        target: /var/www
        read_only: true
        bind:
          create_host_path: true
      - type: volume
        source: data
        target: /data
        volume: {}
      - type: volume
        target: /var/cache/nginx
        volume: {}
      - type: bind
        source: /tmp/kedge-fixture/conf/nginx.conf
        target: /etc/nginx/nginx.conf
        read_only: true
        bind:
          selinux: z
          create_host_path: true
      - type: volume
        source: data
        target: /seed
        volume:
          nocopy: true
      - type: bind
        source: /srv/shared
        target: /shared
        bind:
          create_host_path: true
      - type: bind
        source: /tmp/kedge-fixture/site
        target: /long
        read_only: true
  worker:
    build:
      context: /tmp/kedge-fixture/site
      dockerfile: Dockerfile
      args:
        RELEASE: "3"
    command: []
    networks:
      back: null
      front:
        aliases:
          - w
`

const OPTIONS_V1 = String.raw`services:
  app:
    blkio_config:
      device_read_bps:
      - path: /dev/sda
        rate: 12582912
      weight: 300
    build:
      args:
        HOME: /root
        VERSION: '2.1'
      context: /tmp/kedge-fixture
      dockerfile: Dockerfile.prod
      extra_hosts:
      - mirror:10.0.0.5
      labels:
        org.example.built-by: kedge
      shm_size: 64m
      target: runtime
    cap_add:
    - NET_ADMIN
    cap_drop:
    - ALL
    configs:
    - source: app_conf
    - mode: 288
      source: app_conf
      target: /etc/app.conf
    deploy:
      replicas: 2
      resources:
        limits:
          cpus: 0.5
          memory: 50M
        reservations:
          memory: 20m
      restart_policy:
        condition: on-failure
        delay: 90s
      update_config:
        delay: 1m
        monitor: 0s
    devices:
    - /dev/fuse
    - /dev/sda:/dev/xvda:r
    dns:
    - 8.8.8.8
    dns_search:
    - example.com
    group_add:
    - 1000
    - mail
    healthcheck:
      test:
      - NONE
    image: example/app:2.1
    init: true
    logging:
      driver: json-file
      options:
        max-file: 3
        max-size: 10m
    mem_swappiness: 60
    pull_policy: if_not_present
    read_only: true
    restart: unless-stopped
    secrets:
    - source: db_password
    - mode: 256
      source: db_password
      target: other
      uid: '103'
    security_opt:
    - no-new-privileges:true
    stop_signal: SIGTERM
    sysctls:
      net.core.somaxconn: '1024'
    tmpfs:
    - /run
    ulimits:
      nofile:
        hard: 40000
        soft: 20000
      nproc: 65535
    user: 1000:1000
    working_dir: /app
  sidecar:
    cap_add: []
    command:
    - sleep
    - infinity
    cpu_shares: 0
    cpus: 1.5
    environment: {}
    healthcheck:
      test:
      - NONE
    hostname: ''
    image: busybox:1.36
    init: false
    labels: {}
    mem_limit: 1g
    memswap_limit: -1
    oom_score_adj: 0
    privileged: false
    scale: 3
    shm_size: 256m
    stdin_open: false
    stop_grace_period: 500ms
    tmpfs:
    - /run:size=1m
    - /tmp
    tty: false
`

const OPTIONS_V2 = String.raw`services:
  app:
    build:
      context: /tmp/kedge-fixture
      dockerfile: Dockerfile.prod
      args:
        HOME: /root
        VERSION: "2.1"
      labels:
        org.example.built-by: kedge
      extra_hosts:
        - mirror=10.0.0.5
      target: runtime
      shm_size: "67108864"
    blkio_config:
      weight: 300
      device_read_bps:
        - path: /dev/sda
          rate: "12582912"
    cap_add:
      - NET_ADMIN
    cap_drop:
      - ALL
    configs:
      - source: app_conf
      - source: app_conf
        target: /etc/app.conf
        mode: 288
    deploy:
      replicas: 2
      update_config:
        delay: 1m0s
      resources:
        limits:
          cpus: 0.5
          memory: "52428800"
        reservations:
          memory: "20971520"
      restart_policy:
        condition: on-failure
        delay: 1m30s
    devices:
      - source: /dev/fuse
        target: /dev/fuse
        permissions: rwm
      - source: /dev/sda
        target: /dev/xvda
        permissions: r
    dns:
      - 8.8.8.8
    dns_search:
      - example.com
    group_add:
      - "1000"
      - mail
    healthcheck:
      disable: true
    image: example/app:2.1
    init: true
    logging:
      driver: json-file
      options:
        max-file: "3"
        max-size: 10m
    mem_swappiness: "60"
    networks:
      default: null
    pull_policy: missing
    read_only: true
    restart: unless-stopped
    secrets:
      - source: db_password
        target: /run/secrets/db_password
      - source: db_password
        target: other
        uid: "103"
        mode: 256
    security_opt:
      - no-new-privileges:true
    stop_signal: SIGTERM
    sysctls:
      net.core.somaxconn: "1024"
    tmpfs:
      - /run
    ulimits:
      nofile:
        soft: 20000
        hard: 40000
      nproc: 65535
    user: 1000:1000
    working_dir: /app
  sidecar:
    cpus: 1.5
    command:
      - sleep
      - infinity
    healthcheck:
      test:
        - NONE
    image: busybox:1.36
    init: false
    mem_limit: "1073741824"
    memswap_limit: "-1"
    networks:
      default: null
    scale: 3
    shm_size: "268435456"
    stop_grace_period: 500ms
    tmpfs:
      - /run:size=1m
      - /tmp
`

const LINKS_V1 = String.raw`services:
  app:
    command: echo "quoted \"word\"" 'single $$HOME' tab\ separated
    depends_on:
      cache:
        condition: service_healthy
    entrypoint:
    - /bin/sh
    - -c
    environment:
      DOLLAR: $$HOME
      FLOAT: 1.5
      NEGATIVE: -3
      UNSET: null
    extra_hosts:
      api.local: 10.0.0.2
      v6.local: ::1
    healthcheck:
      interval: 60500ms
      retries: 5
      start_period: 0h
      test: pg_isready -U 'app user' && echo ok
      timeout: 100ms
    image: example/app:2.1
    ipc: service:files
    links:
    - db
    - cache:redis
    stop_grace_period: 1h2m3.5s
    volumes_from:
    - service:files:rw
    - service:assets:ro
    - container:legacy:rw
  assets:
    image: busybox:1.36
  cache:
    healthcheck:
      test:
      - CMD
      - redis-cli
      - ping
    image: redis:7
  db:
    image: postgres:16
  files:
    image: busybox:1.36
  proxy:
    image: traefik:3
    network_mode: service:app
    restart: "no"
`

const LINKS_V2 = String.raw`services:
  app:
    command:
      - echo
      - quoted "word"
      - single $$HOME
      - tab separated
    depends_on:
      assets:
        condition: service_started
        required: true
      cache:
        condition: service_healthy
        required: true
      db:
        condition: service_started
        restart: true
        required: true
      files:
        condition: service_started
        restart: true
        required: true
    entrypoint:
      - /bin/sh
      - -c
    environment:
      DOLLAR: $$HOME
      FLOAT: "1.5"
      NEGATIVE: "-3"
      UNSET: null
    extra_hosts:
      - api.local=10.0.0.2
      - v6.local=::1
    healthcheck:
      test:
        - CMD-SHELL
        - pg_isready -U 'app user' && echo ok
      timeout: 100ms
      interval: 1m0.5s
      retries: 5
      start_period: 0s
    image: example/app:2.1
    ipc: service:files
    links:
      - db
      - cache:redis
    networks:
      default: null
    stop_grace_period: 1h2m3.5s
    volumes_from:
      - files
      - assets:ro
      - container:legacy
  assets:
    image: busybox:1.36
    networks:
      default: null
  cache:
    healthcheck:
      test:
        - CMD
        - redis-cli
        - ping
    image: redis:7
    networks:
      default: null
  db:
    image: postgres:16
    networks:
      default: null
  files:
    image: busybox:1.36
    networks:
      default: null
  proxy:
    depends_on:
      app:
        condition: service_started
        restart: true
        required: true
    image: traefik:3
    network_mode: service:app
    restart: "no"
`

const MOUNTS_V1 = String.raw`services:
  files:
    image: example/files:1
    ports:
    - 127.0.0.1::80/tcp
    - ::1::82/tcp
    - target: 3000
    - target: 3001
    - protocol: udp
      published: 53
      target: 53
    - protocol: sctp
      published: 8080
      target: 80
    - 127.0.0.1:9000-9002:9000/tcp
    - target: 90
    - published: 9191
      target: 91
    volumes:
    - /tmp/kedge-fixture/site:/cached:cached
    - /tmp/kedge-fixture/site:/delegated:delegated,ro
    - /tmp/kedge-fixture/site:/shared:rshared
    - /tmp/kedge-fixture/conf:/conf:ro,rslave,Z
    - uploads:/uploads:ro,nocopy
    - uploads:/labelled:z
    - source: uploads
      target: /long-volume
      type: volume
      volume:
        nocopy: false
    - target: /scratch
      tmpfs:
        size: 1048576
      type: tmpfs
    - consistency: cached
      source: /tmp/kedge-fixture/conf
      target: /consistent
      type: bind
    - target: /anonymous
      type: volume
`

const MOUNTS_V2 = String.raw`services:
  files:
    image: example/files:1
    networks:
      default: null
    ports:
      - mode: ingress
        host_ip: 127.0.0.1
        target: 80
        protocol: tcp
      - mode: ingress
        host_ip: ::1
        target: 82
        protocol: tcp
      - mode: ingress
        target: 3000
        protocol: tcp
      - mode: ingress
        target: 3001
        protocol: tcp
      - mode: ingress
        target: 53
        published: "53"
        protocol: udp
      - mode: ingress
        target: 80
        published: "8080"
        protocol: sctp
      - mode: ingress
        host_ip: 127.0.0.1
        target: 9000
        published: 9000-9002
        protocol: tcp
      - mode: ingress
        target: 90
        protocol: tcp
      - mode: ingress
        target: 91
        published: "9191"
        protocol: tcp
    volumes:
      - type: bind
        source: /tmp/kedge-fixture/site
        target: /cached
        bind:
          create_host_path: true
      - type: bind
        source: /tmp/kedge-fixture/site
        target: /delegated
        read_only: true
        bind:
          create_host_path: true
      - type: bind
        source: /tmp/kedge-fixture/site
        target: /shared
        bind:
          propagation: rshared
          create_host_path: true
      - type: bind
        source: /tmp/kedge-fixture/conf
        target: /conf
        read_only: true
        bind:
          selinux: Z
          propagation: rslave
          create_host_path: true
      - type: volume
        source: uploads
        target: /uploads
        read_only: true
        volume:
          nocopy: true
      - type: volume
        source: uploads
        target: /labelled
        bind:
          selinux: z
        volume: {}
      - type: volume
        source: uploads
        target: /long-volume
        volume: {}
      - type: tmpfs
        target: /scratch
        tmpfs:
          size: "1048576"
      - type: bind
        source: /tmp/kedge-fixture/conf
        target: /consistent
        consistency: cached
      - type: volume
        target: /anonymous
`

type Service = Record<string, unknown>

function servicesOf(yamlText: string): Record<string, Service> {
  return (parse(yamlText) as {services: Record<string, Service>}).services
}

function service(yamlText: string, name: string): Service {
  const found = servicesOf(yamlText)[name]
  assert.ok(found, `no service ${name}`)
  return found
}

const STACKS: Record<string, [v1: string, v2: string]> = {
  web: [WEB_V1, WEB_V2],
  options: [OPTIONS_V1, OPTIONS_V2],
  links: [LINKS_V1, LINKS_V2],
  mounts: [MOUNTS_V1, MOUNTS_V2],
}

describe('canonicalService', () => {
  for (const [stack, [v1Text, v2Text]] of Object.entries(STACKS)) {
    it(`gives each service of the ${stack} stack one form, whether Compose v1 or v2 printed it`, () => {
      const v1 = servicesOf(v1Text)
      const v2 = servicesOf(v2Text)
      assert.deepEqual(Object.keys(v1).sort(), Object.keys(v2).sort())
      for (const name of Object.keys(v1)) {
        assert.notDeepEqual(v1[name], v2[name], `${name}: the fixture shows no difference to reconcile`)
        assert.deepEqual(canonicalService(v1[name]!), canonicalService(v2[name]!), name)
      }
    })
  }

  it('writes ports, volumes, durations and dependencies in one explicit form', () => {
    const web = canonicalService(service(WEB_V1, 'web'))
    assert.deepEqual(web.command, ['nginx', '-g', 'daemon off;', '--flag', 'a b', 'c d'])
    assert.deepEqual(web.entrypoint, ['/docker-entrypoint.sh'])
    assert.deepEqual(web.depends_on, {db: {condition: 'service_started'}})
    assert.equal(web.networks, undefined, 'the default network alone is no setting')
    assert.equal(web.env_file, undefined)
    assert.deepEqual(web.healthcheck, {test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 90_000, timeout: 90_000, start_period: 5_000, retries: 3})
    assert.equal(web.stop_grace_period, 60_000)
    assert.deepEqual(web.expose, ['3000', '3001'])
    assert.deepEqual(web.extra_hosts, ['somehost=162.242.195.82', 'v6host=::1'])
    assert.deepEqual(web.labels, {'com.example.flag': '', 'com.example.tier': '1'})
    assert.deepEqual(web.ports, [
      {mode: 'ingress', host_ip: '127.0.0.1', target: 7000, published: '7000', protocol: 'tcp'},
      {mode: 'ingress', host_ip: '127.0.0.1', target: 7001, published: '7001', protocol: 'tcp'},
      {mode: 'ingress', host_ip: '127.0.0.1', target: 9000, published: '9000', protocol: 'udp'},
      {mode: 'ingress', host_ip: '::1', target: 81, published: '81', protocol: 'tcp'},
      {mode: 'host', target: 443, published: '8443', protocol: 'tcp'},
      {mode: 'ingress', target: 8000, published: '8000', protocol: 'tcp'},
      {mode: 'ingress', target: 8001, published: '8001', protocol: 'tcp'},
      {mode: 'ingress', target: 80, published: '8080', protocol: 'tcp'},
      {mode: 'ingress', target: 9100, published: '9100-9102', protocol: 'tcp'},
      {mode: 'ingress', target: 80, protocol: 'tcp'},
    ])
    assert.deepEqual(web.volumes, [
      {type: 'bind', source: '/tmp/kedge-fixture/site', target: '/var/www', read_only: true},
      {type: 'volume', source: 'data', target: '/data'},
      {type: 'volume', target: '/var/cache/nginx'},
      {type: 'bind', source: '/tmp/kedge-fixture/conf/nginx.conf', target: '/etc/nginx/nginx.conf', read_only: true, bind: {selinux: 'z'}},
      {type: 'volume', source: 'data', target: '/seed', volume: {nocopy: true}},
      {type: 'bind', source: '/srv/shared', target: '/shared'},
      {type: 'bind', source: '/tmp/kedge-fixture/site', target: '/long', read_only: true},
    ])

    const app = canonicalService(service(OPTIONS_V1, 'app'))
    assert.deepEqual(app.deploy, {
      replicas: 2,
      resources: {limits: {cpus: 0.5, memory: 52_428_800}, reservations: {memory: 20_971_520}},
      restart_policy: {condition: 'on-failure', delay: 90_000},
      update_config: {delay: 60_000},
    })
    assert.deepEqual(app.healthcheck, {test: ['NONE']})
    assert.equal(app.pull_policy, 'missing')
    assert.deepEqual(app.secrets, [{source: 'db_password'}, {source: 'db_password', target: 'other', uid: '103', mode: 256}])

    const sidecar = canonicalService(service(OPTIONS_V1, 'sidecar'))
    assert.deepEqual(Object.keys(sidecar).sort(), ['command', 'cpus', 'deploy', 'healthcheck', 'image', 'init', 'mem_limit', 'memswap_limit', 'shm_size', 'stop_grace_period', 'tmpfs'])
    assert.deepEqual(sidecar.deploy, {replicas: 3})

    const app2 = canonicalService(service(LINKS_V1, 'app'))
    assert.deepEqual(app2.depends_on, {
      db: {condition: 'service_started', restart: true},
      cache: {condition: 'service_healthy'},
      files: {condition: 'service_started', restart: true},
      assets: {condition: 'service_started'},
    })
    assert.deepEqual(app2.volumes_from, ['files', 'assets:ro', 'container:legacy'])
    assert.deepEqual(app2.command, ['echo', 'quoted "word"', 'single $$HOME', 'tab separated'])
    assert.equal(app2.stop_grace_period, 3_723_500)
  })

  describe('changes with every real change of the configuration, the same under both versions', () => {
    const changes: Record<string, (v1: Service, v2: Service) => void> = {
      'the image': (v1, v2) => {
        v1.image = v2.image = 'nginx:1.26'
      },
      'a published port': (v1, v2) => {
        ;(v1.ports as unknown[])[0] = '127.0.0.1:9001:9000/udp'
        portsOf(v2)[0]!.published = '9001'
      },
      'the protocol of a port': (v1, v2) => {
        ;(v1.ports as unknown[])[0] = '127.0.0.1:9000:9000/tcp'
        portsOf(v2)[0]!.protocol = 'tcp'
      },
      "a bind's read-only flag": (v1, v2) => {
        ;(v1.volumes as unknown[])[0] = '/tmp/kedge-fixture/site:/var/www:rw'
        delete volumesOf(v2)[0]!.read_only
      },
      'the SELinux label of a bind': (v1, v2) => {
        ;(v1.volumes as unknown[])[3] = '/tmp/kedge-fixture/conf/nginx.conf:/etc/nginx/nginx.conf:ro,Z'
        volumesOf(v2)[3]!.bind = {selinux: 'Z', create_host_path: true}
      },
      'a word of the command': (v1, v2) => {
        v1.command = String(v1.command).replace('c\\ d', 'c\\ e')
        ;(v2.command as string[])[5] = 'c e'
      },
      'where a command splits into words': (v1, v2) => {
        v1.command = String(v1.command).replace('"a b"', 'a b')
        ;(v2.command as string[]).splice(4, 1, 'a', 'b')
      },
      'a healthcheck interval': (v1, v2) => {
        ;(v1.healthcheck as Service).interval = '91s'
        ;(v2.healthcheck as Service).interval = '1m31s'
      },
      'the stop grace period': (v1, v2) => {
        v1.stop_grace_period = '1m1s'
        v2.stop_grace_period = '1m1s'
      },
      'an environment value': (v1, v2) => {
        ;(v1.environment as Service).WORKERS = 8
        ;(v2.environment as Service).WORKERS = '8'
      },
      'an empty variable that becomes unset': (v1, v2) => {
        ;(v1.environment as Service).EMPTY = null
        ;(v2.environment as Service).EMPTY = null
      },
      'the condition of a dependency': (v1, v2) => {
        v1.depends_on = {db: {condition: 'service_healthy'}}
        v2.depends_on = {db: {condition: 'service_healthy', required: true}}
      },
      'an optional dependency': (v1, v2) => {
        v1.depends_on = {db: {condition: 'service_started', required: false}}
        v2.depends_on = {db: {condition: 'service_started', required: false}}
      },
      'a network': (v1, v2) => {
        v1.networks = {back: null}
        v2.networks = {back: null}
      },
    }
    const original = canonicalService(service(WEB_V1, 'web'))
    for (const [what, change] of Object.entries(changes)) {
      it(what, () => {
        const v1 = structuredClone(service(WEB_V1, 'web'))
        const v2 = structuredClone(service(WEB_V2, 'web'))
        change(v1, v2)
        assert.notDeepEqual(canonicalService(v1), original)
        assert.deepEqual(canonicalService(v1), canonicalService(v2))
      })
    }
  })

  it('does not modify the service it is given', () => {
    const v1 = service(WEB_V1, 'web')
    const copy = structuredClone(v1)
    canonicalService(v1)
    assert.deepEqual(v1, copy)
  })

  it('reads paths that kedge made relative to the checkout', () => {
    // compose-model replaces the checkout directory with "." before hashing.
    const relative = (value: Service): Service => JSON.parse(JSON.stringify(value).split('/tmp/kedge-fixture').join('.')) as Service
    const v1 = canonicalService(relative(service(WEB_V1, 'web')))
    assert.deepEqual(v1, canonicalService(relative(service(WEB_V2, 'web'))))
    assert.deepEqual((v1.volumes as unknown[])[0], {type: 'bind', source: './site', target: '/var/www', read_only: true})
  })

  it('reads integers parsed as bigint exactly', () => {
    // v1 prints `BIG: 12345678901234567890` where v2 prints the string; a JavaScript number cannot hold it.
    const v1 = parse('environment: {BIG: 12345678901234567890}\nports: [{target: 80, published: 8080}]\ncpu_shares: 0\nscale: 1', {intAsBigInt: true}) as Service
    const v2 = parse('environment: {BIG: "12345678901234567890"}\nports: [{target: 80, published: "8080", protocol: tcp, mode: ingress}]', {intAsBigInt: true}) as Service
    assert.deepEqual(canonicalService(v1), canonicalService(v2))
    assert.deepEqual(canonicalService(v1).environment, {BIG: '12345678901234567890'})
  })

  it('keeps the words each version really runs where v1 and v2 split a command differently', () => {
    // Captured from `command: "echo a|b"`: v1 keeps the string and docker-py splits it with shlex into
    // [echo, a|b]; v2 splits it with Go's shellwords, which stops at the unquoted "|". The two
    // versions start different containers, so the forms differ too.
    const v1 = servicesOf('services:\n  d:\n    command: echo a|b\n    image: busybox\n').d!
    const v2 = servicesOf('services:\n  d:\n    command:\n      - echo\n      - a\n    image: busybox\n    networks:\n      default: null\n').d!
    assert.deepEqual(canonicalService(v1).command, ['echo', 'a|b'])
    assert.deepEqual(canonicalService(v2).command, ['echo', 'a'])
  })
})

describe('splitWords', () => {
  it('splits as shlex.split does, which docker-py applies to v1 command strings', () => {
    assert.deepEqual(splitWords(`nginx -g 'daemon off;'`), ['nginx', '-g', 'daemon off;'])
    assert.deepEqual(splitWords(`  a\t b\nc  `), ['a', 'b', 'c'])
    assert.deepEqual(splitWords(`a""b '' ""`), ['ab', '', ''])
    assert.deepEqual(splitWords(`e\\ f "g\\"h" \\\\x 'c\\d' "a\\b"`), ['e f', 'g"h', '\\x', 'c\\d', 'a\\b'])
    assert.deepEqual(splitWords(`echo # not a comment`), ['echo', '#', 'not', 'a', 'comment'])
    assert.deepEqual(splitWords(''), [])
    assert.equal(splitWords(`echo 'open`), null)
    assert.equal(splitWords('echo \\'), null)
  })
})

describe('parseDuration', () => {
  it("reads Go's durations and v1's text to nanoseconds", () => {
    assert.equal(parseDuration('1m30s'), 90e9)
    assert.equal(parseDuration('90s'), 90e9)
    assert.equal(parseDuration('1.5s'), 1.5e9)
    assert.equal(parseDuration('1500ms'), 1.5e9)
    assert.equal(parseDuration('1h2m3.5s'), 3_723_500_000_000)
    assert.equal(parseDuration('1.1s'), 1_100_000_000)
    assert.equal(parseDuration('100µs'), 100_000)
    assert.equal(parseDuration('100us'), 100_000)
    assert.equal(parseDuration('0h'), 0)
    assert.equal(parseDuration('0'), 0)
    assert.equal(parseDuration('-2m'), -120e9)
    assert.equal(parseDuration('90'), null)
    assert.equal(parseDuration('soon'), null)
  })
})

function portsOf(service: Service): Service[] {
  return service.ports as Service[]
}

function volumesOf(service: Service): Service[] {
  return service.volumes as Service[]
}
