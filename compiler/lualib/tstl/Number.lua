local function __TS__Number(value)
    local valueType = type(value)
    if valueType == "number" then
        return value
    elseif valueType == "string" then
        local trimmed = string.match(value, "^%s*(.-)%s*$")
        if trimmed == "" then
            return 0
        end
        return math.tointeger(tonumber(trimmed))
    elseif valueType == "boolean" then
        return value and 1 or 0
    end
    return nil
end
