local function __TS__StringCharCodeAt(self, index)
    if index == nil then
        index = 0
    end
    if index < 0 then
        return nil
    end
    return string.byte(self, index + 1)
end
