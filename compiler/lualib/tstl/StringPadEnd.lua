-- dependencies: StringPadStart
local function __TS__StringPadEnd(self, maxLength, fillString)
    return self .. __TS__StringPadding(self, maxLength, fillString)
end
