defmodule Golden.ProcessDict.GetDefault do
  @key :request_count

  def bump do
    count = Process.get(@key, 0)
    Process.put(@key, count + 1)
  end

  def current, do: @key |> Process.get()
end
