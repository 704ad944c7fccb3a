defmodule Golden.NarrowRescue.LocalHelper do
  def total(rows) do
    try do
      rows |> Enum.map(&parse_row/1) |> Enum.sum()
    rescue
      _ -> 0
    end
  end

  defp parse_row(%{"amount" => amount}), do: to_cents(amount)

  defp to_cents(text), do: text |> String.to_float() |> Kernel.*(100) |> round()
end
