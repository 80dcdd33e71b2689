-- Owner affinity for a partitioned kefu cluster (kefu-server --partitioned) behind HAProxy 2.6+:
-- sends each WebSocket to the node that routes its partition, so its frames skip NATS. Only a
-- hint: a socket sent elsewhere (an owner not known yet, or down) is tunneled as always.
--
--   global
--       lua-load /path/to/kefu-affinity.lua      # KEFU_AFFINITY_BACKEND: the backend (default nodes)
--   defaults
--       retries 3
--       option redispatch 1                      # an owner that just died: another node at once
--   frontend kefu
--       http-request deny if { path_beg /cluster/ }
--       http-request lua.kefu_owner if { path_beg /websocket/ }
--   backend nodes
--       use-server n1 if { var(txn.kefu_node) -m str n1 }     # one line per server; each
--       server n1 10.0.0.1:9991 check                        # server named by its --node-id
--
-- Every 500 ms it reads GET /cluster/affinity from a node that is up (docs/deployment.md): lines
-- "agent<TAB>kfId<TAB>node", "department<TAB>id<TAB>node", "walkin<TAB><TAB>node" (customers
-- without a known department) and "default<TAB><TAB>node" (agents in no department).

local backend_name = os.getenv("KEFU_AFFINITY_BACKEND") or "nodes"
local agents, departments, walkin_node, default_node = {}, {}, nil, nil

local function refresh()
    local backend = core.backends[backend_name]
    if backend == nil then return end
    for _, server in pairs(backend.servers) do
        local stats = server:get_stats()
        if stats and stats.status and stats.status:sub(1, 2) == "UP" then
            local client = core.httpclient()
            local ok, res = pcall(client.get, client, { url = "http://" .. server:get_addr() .. "/cluster/affinity", timeout = 1000 })
            if ok and res and res.status == 200 and res.body then
                local a, d, walk, def = {}, {}, nil, nil
                for kind, key, node in res.body:gmatch("([^\t\n]*)\t([^\t\n]*)\t([^\t\n]*)\n") do
                    if kind == "agent" then a[key] = node
                    elseif kind == "department" then d[key] = node
                    elseif kind == "walkin" then walk = node
                    elseif kind == "default" then def = node end
                end
                agents, departments, walkin_node, default_node = a, d, walk, def
                return
            end
        end
    end
end

core.register_task(function()
    while true do
        pcall(refresh)
        core.msleep(500)
    end
end)

-- Sets txn.kefu_node to the node that routes this socket's partition (left unset if unknown).
core.register_action("kefu_owner", { "http-req" }, function(txn)
    local path = txn.sf:path() or ""
    local node
    local visitor = path:match("^/websocket/visitor/")
    if visitor then
        local department = txn.sf:url_param("department")
        if department and department ~= "" then
            node = departments[txn.sc:url_dec(department)]
        end
        node = node or walkin_node
    else
        local kf = path:match("^/websocket/(.+)$")
        if kf then node = agents[txn.sc:url_dec(kf)] or default_node end
    end
    if node then txn:set_var("txn.kefu_node", node) end
end, 0)
