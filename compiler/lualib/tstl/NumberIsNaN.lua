local function __TS__NumberIsNaN(value)
    return value == nil or value ~= value
end
