local function __KS_sar(value, count)
    if count >= 63 then
        return value < 0 and -1 or 0
    end
    if count <= 0 then
        return value
    end
    if value >= 0 then
        return value >> count
    end
    return ~(~value >> count)
end
